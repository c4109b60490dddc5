/**
 * A text field of several values ("shop, blog"), as the Pub/Sub filter and the MCP key's client
 * allow list take them: comma- or line-separated, trimmed, without blanks and repeats. Its own
 * module so that only the lazily loaded pages that use it carry it.
 */
export const listOf = (text: string): string[] =>
  text
    .split(/[,\n]/)
    .map((word) => word.trim())
    .filter((word, index, all) => word !== '' && all.indexOf(word) === index);
