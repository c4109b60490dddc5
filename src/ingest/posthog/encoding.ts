import { ApiError } from '../../http/apiError.js';
import { decodeUtf8 } from '../../http/utf8.js';

/**
 * How an ingestion body is wrapped, as PostHog's SDKs wrap it. posthog-js (1.449) sends gzip as
 * `text/plain` with neither a header nor a URL parameter saying so (the gzip magic bytes are the
 * only sign), and on page leave a sendBeacon form `data=<base64 JSON>` with `?compression=base64`;
 * older versions and posthog-node say `?compression=gzip-js` or `Content-Encoding: gzip`.
 */
export interface BodyEncoding {
  /** Declared gzip (`Content-Encoding: gzip` or `?compression=gzip-js`); undeclared gzip is found by its magic bytes. */
  gzip: boolean;
  /** `?compression=base64`: the payload (the form's `data` field, or else the body) is base64. */
  base64: boolean;
  /** `application/x-www-form-urlencoded`: the payload is the form's `data` field. */
  form: boolean;
}

const unsupported = (message: string): ApiError => new ApiError(415, 'unsupported_media_type', message);

/** Reads the encoding from the request's `compression` parameter and headers; anything unknown is a 415. */
export function bodyEncoding(compression: string | undefined, contentEncoding: string | undefined, contentType: string | undefined): BodyEncoding {
  if (compression !== undefined && compression !== 'gzip-js' && compression !== 'base64') {
    throw unsupported(`compression=${compression} is not supported; use gzip-js, base64 or none`);
  }
  const encoding = contentEncoding?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw unsupported(`Content-Encoding ${encoding} is not supported; use gzip or none`);
  }
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  return {
    gzip: compression === 'gzip-js' || encoding === 'gzip' || encoding === 'x-gzip',
    base64: compression === 'base64',
    form: mediaType === 'application/x-www-form-urlencoded',
  };
}

/** RFC 1952: every gzip member starts with 1f 8b. No JSON text can (JSON allows no control characters before a value). */
export const looksGzipped = (bytes: Buffer): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

const invalid = (message: string): ApiError => new ApiError(400, 'invalid_json', message);

/** Standard or URL-safe alphabet, padding optional; Buffer.from would skip any other character silently. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function fromBase64(encoded: string, what: string): Buffer {
  // A form decoder turns an unescaped `+` into a space; base64 has no spaces, so it can only be that.
  const compact = encoded.replace(/ /g, '+').replace(/[\r\n]/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) throw invalid(`${what} is not valid base64`);
  // Node's base64 decoder takes the URL-safe alphabet as well.
  return Buffer.from(compact, 'base64');
}

/**
 * The JSON bytes inside a form or base64 body. Both only ever shrink what they wrap, so the
 * request's size bound already bounds the result.
 */
export function unwrapPayload(bytes: Buffer, encoding: Pick<BodyEncoding, 'base64' | 'form'>): Buffer {
  if (encoding.form) {
    const fields = new URLSearchParams(decodeUtf8(bytes, 'The form body'));
    const data = fields.get('data');
    if (data === null || data === '') throw invalid('The form body has no data field');
    return encoding.base64 ? fromBase64(data, 'The data field') : Buffer.from(data, 'utf8');
  }
  if (encoding.base64) return fromBase64(decodeUtf8(bytes).trim(), 'The body');
  return bytes;
}
