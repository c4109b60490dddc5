import type { FastifyInstance } from 'fastify';
import type { ApiError } from './apiError.js';
import { decodeUtf8 } from './utf8.js';

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
      text = decodeUtf8(body as Buffer);
    } catch (error) {
      done(error as ApiError, undefined);
      return;
    }
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
