/**
 * Text made safe to place in HTML, in element content and in quoted attribute values alike: the
 * five characters that can end either become numeric character references. One escaper for every
 * page and embed code the server writes (the redirect's pages, the loader's embed code).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
