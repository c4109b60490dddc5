/**
 * What the link form sends, as pure functions (tested in test/web/linkFields.test.ts): on create
 * only what is filled in (an empty slug asks the API to generate one), on edit only what changed,
 * an emptied title or expiry becoming null. Expiry is typed in the browser's local time
 * (datetime-local) and sent as an ISO instant.
 */
import type { Link, LinkFields } from './linksApi.js';

export interface LinkFormValues {
  destination_url: string;
  slug: string;
  title: string;
  /** Comma-separated. */
  tags: string;
  /** A datetime-local value, or empty for never. */
  expires: string;
}

export type PasswordChange = { mode: 'keep' | 'set' | 'remove'; value: string };

/** `2026-12-25T10:00:00.000Z` → the value of a datetime-local input, in the browser's zone. */
export function localInputValue(iso: string | null): string {
  if (iso === null) return '';
  const date = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The datetime-local value (the browser's zone) as an ISO instant, or null when empty or unreadable. */
export function isoOfLocal(value: string): string | null {
  if (value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export const tagsOf = (text: string): string[] =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag, index, all) => tag !== '' && all.indexOf(tag) === index);

/** The body to send: all filled fields on create, only the changed ones on edit. */
export function linkBody(values: LinkFormValues, password: PasswordChange, original: Link | null): LinkFields {
  const body: LinkFields = {};
  const destination = values.destination_url.trim();
  const slug = values.slug.trim();
  const title = values.title.trim();
  const tags = tagsOf(values.tags);
  const expires = isoOfLocal(values.expires);
  if (original === null) {
    if (destination !== '') body.destination_url = destination;
    if (slug !== '') body.slug = slug;
    if (title !== '') body.title = title;
    if (tags.length > 0) body.tags = tags;
    if (expires !== null) body.expires_at = expires;
    if (password.mode === 'set' && password.value !== '') body.password = password.value;
    return body;
  }
  if (destination !== original.destination_url) body.destination_url = destination;
  if (slug !== original.slug) body.slug = slug;
  if (title !== (original.title ?? '')) body.title = title === '' ? null : title;
  if (tags.join('\n') !== original.tags.join('\n')) body.tags = tags;
  if (values.expires !== localInputValue(original.expires_at)) body.expires_at = expires;
  if (password.mode === 'set') body.password = password.value;
  if (password.mode === 'remove') body.password = null;
  return body;
}
