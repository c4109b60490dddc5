import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ClientParams } from '../clients/schemas.js';
import { SetEnvelope, setOf, withNotFound } from '../http/envelope.js';
import { judgeUrlRegexes } from '../http/regexJudging.js';
import type { RegexVerdictStore } from '../store/metaStore.js';
import { PutTagsBody, Tag } from './schemas.js';
import type { TagsService } from './service.js';

const tags = ['Tags'];

export const tagRoutes: FastifyPluginAsyncTypebox<{ tagsService: TagsService; verdicts: RegexVerdictStore }> = async (app, { tagsService, verdicts }) => {
  app.get(
    '/clients/:id/tags',
    { schema: { tags, summary: 'The client’s tags, in injection order', params: ClientParams, response: { 200: SetEnvelope(Tag), ...withNotFound } } },
    async (request) => setOf(await tagsService.get(request.params.id)),
  );

  app.put(
    '/clients/:id/tags',
    {
      preValidation: judgeUrlRegexes(PutTagsBody, verdicts),
      schema: {
        tags,
        summary: 'Replace the client’s whole tag set; every tag is checked against its template, and nothing is stored unless all pass',
        params: ClientParams,
        body: PutTagsBody,
        response: { 200: SetEnvelope(Tag), ...withNotFound },
      },
    },
    async (request) => setOf(await tagsService.replace(request.params.id, request.body)),
  );
};
