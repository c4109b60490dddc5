import type { FastifyInstance } from 'fastify';

/**
 * JSON is the only body the admin API accepts: anything else is a 415. An empty body with a JSON
 * content type (curl -X DELETE -H 'Content-Type: application/json') counts as no body rather than
 * a parse error. Prototype-poisoning keys are refused, as Fastify does by default.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
