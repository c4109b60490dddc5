import type { FastifyInstance } from 'fastify';
import { ApiError } from './apiError.js';

/** Fatal: a byte sequence that is not UTF-8 is refused rather than stored as U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON is the only body the admin API accepts: anything else is a 415. An empty body with a JSON
 * content type (curl -X DELETE -H 'Content-Type: application/json') counts as no body rather than
 * a parse error. Prototype-poisoning keys are refused, as Fastify does by default. The body is
 * read as bytes and decoded strictly: decoding it as a string would quietly turn a broken byte
 * (a name with a lone 0xFF) into U+FFFD and store that, where ingestion refuses it.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new ApiError(400, 'invalid_json', 'The body is not valid UTF-8'), undefined);
      return;
    }
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
