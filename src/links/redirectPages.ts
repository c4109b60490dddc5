/**
 * The small pages the redirect answers when it cannot redirect: link not found (404), expired
 * (410), the password form (200, or 401 after a wrong password), too many tries (429), busy (503). Plain HTML,
 * no script, no external resource: one inline style allowed by its hash, so the CSP needs no
 * 'unsafe-inline' and nothing else can run or load there. Not indexed (X-Robots-Tag), not cached.
 * Every text put in a page (the slug, a title) is escaped.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../shared/html.js';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;color:#1f2328;background:#f6f8fa;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}' +
  'main{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:2rem;max-width:26rem;margin:1rem}' +
  'h1{font-size:1.25rem;margin:0 0 .5rem}p{margin:.5rem 0;color:#57606a}' +
  'label{display:block;margin:1rem 0 .25rem;font-weight:600}input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #d0d7de;border-radius:6px}' +
  'button{font:inherit;margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:6px;background:#0969da;color:#fff;cursor:pointer}' +
  '.error{color:#cf222e;font-weight:600}';

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * What the pages may do: show themselves with their one style. No `form-action`: Chromium applies
 * it to every redirect that follows a form's POST, so `'self'` blocks the password form's 303 to
 * the destination and strands the visitor. Allowing the destination's origin would not do either:
 * destinations redirect on (apex to www, http to https, a shop's own tracking links) to origins
 * not known here. What form-action would guard against, a form injected into the page posting the
 * password elsewhere, cannot happen: the pages run no script, load nothing, and escape every text
 * they show; the one form has no action and posts to the page's own address.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every page: no caching (a slug may be created or changed at any moment), no indexing, no framing. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'private, no-store',
  'content-security-policy': PAGE_CSP,
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export const notFoundPage = (): string =>
  page('Link not found', '<h1>Link not found</h1><p>This short link does not exist, or it was removed. Check the address for typing mistakes.</p>');

export const expiredPage = (): string => page('Link expired', '<h1>This link has expired</h1><p>The link’s owner set it to stop working after a date, which has passed.</p>');

export const linksIndexPage = (): string => page('Short links', '<h1>Short links</h1><p>This address serves short links. Add a link’s name to it to follow the link.</p>');

/** `address`: this visitor's tries for the link; `link`: everybody's (someone is guessing it). */
export const tooManyTriesPage = (retryAfterSeconds: number, scope: 'address' | 'link'): string =>
  page(
    'Too many tries',
    `<h1>Too many tries</h1><p>Too many passwords were tried for this link ${scope === 'address' ? 'from your address' : 'in the last minute'}. Try again in ${retryAfterSeconds} seconds.</p>`,
  );

export const busyPage = (retryAfterSeconds: number): string =>
  page('Busy', `<h1>Busy</h1><p>Too many passwords are being checked right now. Try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.</p>`);

export const forbiddenFormPage = (): string =>
  page('Form refused', '<h1>Form refused</h1><p>This form was sent from another site, or it was open for too long. Reload the link and enter the password again.</p>');

export interface PasswordFormPage {
  /** The form's CSRF token (see passwordFormToken.ts). */
  token: string;
  /** Shown above the field after a wrong password. */
  wrongPassword: boolean;
}

/**
 * The form posts to the page's own address (no action attribute), so it works on `/l/<slug>` and
 * on the links host alike, and the short URL's query (its UTM parameters) is posted along with it.
 */
export const passwordFormPage = ({ token, wrongPassword }: PasswordFormPage): string =>
  page(
    'Password required',
    '<h1>This link is protected</h1><p>Enter the password you were given to continue.</p>' +
      (wrongPassword ? '<p class="error" role="alert">Wrong password. Try again.</p>' : '') +
      '<form method="post"><label for="password">Password</label>' +
      '<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>' +
      `<input type="hidden" name="token" value="${escapeHtml(token)}">` +
      '<button type="submit">Continue</button></form>',
  );
