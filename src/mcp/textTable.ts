/**
 * Tool results as text an assistant reads well: a pipe table (header, rule, rows), columns padded
 * to their widest cell, at most MAX_TEXT_ROWS rows with a line saying how many more there are (the
 * whole answer is in structuredContent). Cells are single-line and pipes are escaped, so a page
 * title cannot break the table's shape.
 */
export const MAX_TEXT_ROWS = 100;
const MAX_CELL = 80;

export type Cell = string | number | boolean | null | undefined;

function cellText(value: Cell): string {
  if (value === null || value === undefined || value === '') return '(none)';
  const text = String(value).replace(/[\r\n\t]+/g, ' ').replace(/\|/g, '\\|');
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

/** `rows` may be longer than shown: `total` (default rows.length) is what the caption reports. */
export function textTable(columns: readonly string[], rows: readonly (readonly Cell[])[], total = rows.length): string {
  const shown = rows.slice(0, MAX_TEXT_ROWS).map((row) => columns.map((_, i) => cellText(row[i])));
  const header = columns.map((column) => cellText(column));
  const widths = header.map((title, i) => Math.max(title.length, ...shown.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  const lines = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...shown.map(line)];
  if (shown.length === 0) lines.push('(no rows)');
  if (total > shown.length) lines.push(`… ${total - shown.length} more row${total - shown.length === 1 ? '' : 's'} not shown (see structuredContent, or narrow the request)`);
  return lines.join('\n');
}
