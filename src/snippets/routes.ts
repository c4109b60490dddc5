import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ClientParams } from '../clients/schemas.js';
import { SetEnvelope, setOf, withNotFound } from '../http/envelope.js';
import { judgeUrlRegexes } from '../http/regexJudging.js';
import type { RegexVerdictStore } from '../store/metaStore.js';
import { PutSnippetsBody, Snippet } from './schemas.js';
import type { SnippetsService } from './service.js';

const tags = ['Snippets'];

export const snippetRoutes: FastifyPluginAsyncTypebox<{ snippets: SnippetsService; verdicts: RegexVerdictStore }> = async (app, { snippets, verdicts }) => {
  app.get(
    '/clients/:id/snippets',
    { schema: { tags, summary: 'The client’s snippets, in injection order', params: ClientParams, response: { 200: SetEnvelope(Snippet), ...withNotFound } } },
    async (request) => setOf(await snippets.get(request.params.id)),
  );

  app.put(
    '/clients/:id/snippets',
    {
      preValidation: judgeUrlRegexes(PutSnippetsBody, verdicts),
      schema: {
        tags,
        summary: 'Replace the client’s whole snippet set; items that send back their id keep it',
        params: ClientParams,
        body: PutSnippetsBody,
        response: { 200: SetEnvelope(Snippet), ...withNotFound },
      },
    },
    async (request) => setOf(await snippets.replace(request.params.id, request.body)),
  );
};
