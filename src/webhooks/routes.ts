/**
 * /links/webhooks: outgoing webhooks (admin key only). Static paths, so they win over the links
 * API's /links/{id} (Fastify ranks static segments before parameters).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { adminErrors, DataEnvelope, errorResponse, ListEnvelope, listOf, ok, withConflict, withNotFound } from '../http/envelope.js';
import { CreateWebhookBody, Delivery, ListWebhooksQuery, UpdateWebhookBody, Webhook, WebhookDeleteResult, WebhookParams, WebhookWithSecret } from './schemas.js';
import type { WebhooksService } from './service.js';

const tags = ['Webhooks'];

export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhooksService }> = async (app, { webhooks }) => {
  app.post(
    '/links/webhooks',
    {
      schema: {
        tags,
        summary: 'Create a webhook; the answer holds its signing secret, shown this once',
        body: CreateWebhookBody,
        response: { 201: DataEnvelope(WebhookWithSecret, 'Created'), ...adminErrors },
      },
    },
    async (request, reply) => {
      const webhook = await webhooks.create(request.body);
      reply.header('location', `${app.prefix}/links/webhooks/${webhook.id}`);
      return reply.status(201).send(ok(webhook));
    },
  );

  app.get(
    '/links/webhooks',
    { schema: { tags, summary: 'List webhooks, newest first (never their secrets)', querystring: ListWebhooksQuery, response: { 200: ListEnvelope(Webhook), ...adminErrors } } },
    async (request) => {
      const page = await webhooks.list(request.query);
      return listOf(page.items, page.total, page.next_cursor);
    },
  );

  app.get(
    '/links/webhooks/:id',
    { schema: { tags, summary: 'One webhook, with why the server disabled it if it did', params: WebhookParams, response: { 200: DataEnvelope(Webhook), ...withNotFound } } },
    async (request) => ok(await webhooks.get(request.params.id)),
  );

  app.patch(
    '/links/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change a webhook’s URL, events or description; {"enabled": true} re-enables it',
        params: WebhookParams,
        body: UpdateWebhookBody,
        response: { 200: DataEnvelope(Webhook), ...withNotFound },
      },
    },
    async (request) => ok(await webhooks.update(request.params.id, request.body)),
  );

  app.delete(
    '/links/webhooks/:id',
    { schema: { tags, summary: 'Delete a webhook and its delivery log', params: WebhookParams, response: { 200: WebhookDeleteResult, ...withNotFound } } },
    async (request) => {
      await webhooks.remove(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );

  app.post(
    '/links/webhooks/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Replace the signing secret (answered this once); needed after the admin key changes',
        params: WebhookParams,
        response: { 200: DataEnvelope(WebhookWithSecret), ...withNotFound },
      },
    },
    async (request) => ok(await webhooks.rotateSecret(request.params.id)),
  );

  app.post(
    '/links/webhooks/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a webhook.test delivery; answers it after its first attempt (or as it stands after 10 s)',
        params: WebhookParams,
        response: { 200: DataEnvelope(Delivery), ...withConflict, 409: errorResponse('conflict: the webhook is disabled') },
      },
    },
    async (request) => ok(await webhooks.test(request.params.id)),
  );

  app.get(
    '/links/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'The webhook’s delivery log, newest first: status, attempts, the receiver’s last answer',
        params: WebhookParams,
        querystring: ListWebhooksQuery,
        response: { 200: ListEnvelope(Delivery), ...withNotFound },
      },
    },
    async (request) => {
      const page = await webhooks.deliveries(request.params.id, request.query);
      return listOf(page.items, page.total, page.next_cursor);
    },
  );
};
