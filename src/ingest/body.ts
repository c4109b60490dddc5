import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ApiError } from '../http/apiError.js';
import { decodeUtf8 } from '../http/utf8.js';
import { looksGzipped, unwrapPayload, type BodyEncoding } from './posthog/encoding.js';

const gunzipAsync = promisify(gunzip);

/**
 * The request body as received, bytes unread. Held in a private field on purpose: the app-wide
 * text guard walks every enumerable value of `request.body`, and ingestion checks text itself,
 * event by event, in the same pass as the rest of validation.
 */
export class RawBody {
  readonly #bytes: Buffer;
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }
  get bytes(): Buffer {
    return this.#bytes;
  }
}

export interface DecodeOptions extends BodyEncoding {
  /** Bound on the decompressed size: a few KB of gzip can inflate to gigabytes. */
  maxBytes: number;
}

const tooLarge = (maxBytes: number): ApiError =>
  new ApiError(413, 'payload_too_large', `The body is larger than the limit of ${maxBytes} bytes once decompressed`);

/**
 * Unwraps (a form's `data`, base64), inflates (when declared, or when the bytes are gzip) and
 * parses the body; every failure is a 400 or 413, never a 500.
 */
export async function decodeBody(body: RawBody | undefined, options: DecodeOptions): Promise<unknown> {
  if (body === undefined || body.bytes.length === 0) throw new ApiError(400, 'invalid_json', 'The body is empty');
  let bytes = unwrapPayload(body.bytes, options);
  if (options.gzip || looksGzipped(bytes)) {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: options.maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(options.maxBytes);
      throw new ApiError(400, 'invalid_json', 'The body is not valid gzip');
    }
  }
  const text = decodeUtf8(bytes);
  try {
    // Plain JSON.parse: a `__proto__` key becomes an ordinary own property, and nothing downstream
    // copies parsed objects by assignment, so it cannot reach a prototype.
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_json', 'The body is not valid JSON');
  }
}
