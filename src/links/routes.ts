/**
 * /links (the operator's: every link, and links of no client) and /clients/{id}/links (a client's
 * links: the admin key or the client's own sk_, route config acceptsClientSecret, checked by the
 * service). Thin: parse, build the base of short URLs for this request, call the service, envelope.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ClientParams } from '../clients/schemas.js';
import { DataEnvelope, errorResponse, ListEnvelope, listOf, ok, withConflict, withNotFound } from '../http/envelope.js';
import { publicOrigin } from '../http/publicOrigin.js';
import { callerOf } from '../http/readCaller.js';
import {
  ClientLinkParams,
  CreateClientLinkBody,
  CreateLinkBody,
  Link,
  LinkDeleteResult,
  LinkParams,
  ListClientLinksQuery,
  ListLinksQuery,
  UpdateLinkBody,
} from './schemas.js';
import type { LinksService } from './service.js';
import { shortUrlBase } from './shortUrl.js';

export interface LinkRoutesOptions {
  links: LinksService;
  /** MYTHIC_PUBLIC_URL; unset, short URLs name the host the request was sent to. */
  publicUrl?: string | undefined;
  /** MYTHIC_LINKS_HOST: a host (https) or an origin; short URLs then sit at its root. */
  linksHost?: string | undefined;
}

const tags = ['Links'];
const forbidden = { 403: errorResponse('forbidden: the sk_ of another client; client_inactive: the sk_ of a deactivated client') } as const;
const writeErrors = { ...withConflict, ...forbidden, 409: errorResponse('conflict: the slug is taken (slugs are compared regardless of case)') } as const;

export const linkRoutes: FastifyPluginAsyncTypebox<LinkRoutesOptions> = async (app, { links, publicUrl, linksHost }) => {
  const base = (request: FastifyRequest): string => shortUrlBase(linksHost, () => publicOrigin(request, publicUrl));
  const config = { acceptsClientSecret: true };

  app.post(
    '/links',
    {
      schema: {
        tags,
        summary: 'Create a short link (admin key); without client_id its clicks count under the links-only client `_links`',
        description:
          'The slug is generated (7 characters, no look-alike characters) when omitted. `expires_at` may lie in the past: the link is then expired from the start and its short URL answers 410 Gone.',
        body: CreateLinkBody,
        response: { 201: DataEnvelope(Link, 'Created'), ...writeErrors },
      },
    },
    async (request, reply) => {
      const link = await links.create(request.body, base(request));
      reply.header('location', `${app.prefix}/links/${link.id}`);
      return reply.status(201).send(ok(link));
    },
  );

  app.get(
    '/links',
    {
      schema: { tags, summary: 'Every link, newest first, with filters (admin key)', querystring: ListLinksQuery, response: { 200: ListEnvelope(Link), ...withNotFound } },
    },
    async (request) => {
      const page = await links.list(request.query, base(request));
      return listOf(page.items, page.total, page.next_cursor);
    },
  );

  app.get(
    '/links/:id',
    { schema: { tags, summary: 'One link (admin key)', params: LinkParams, response: { 200: DataEnvelope(Link), ...withNotFound } } },
    async (request) => ok(await links.get(request.params.id, base(request))),
  );

  app.patch(
    '/links/:id',
    {
      schema: {
        tags,
        summary: 'Change a link (admin key); `password: null` removes its password',
        params: LinkParams,
        body: UpdateLinkBody,
        response: { 200: DataEnvelope(Link), ...writeErrors },
      },
    },
    async (request) => ok(await links.update(request.params.id, request.body, base(request))),
  );

  app.delete(
    '/links/:id',
    { schema: { tags, summary: 'Delete a link (admin key); its short URL answers 404 from then on', params: LinkParams, response: { 200: LinkDeleteResult, ...withNotFound } } },
    async (request) => {
      await links.remove(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );

  app.post(
    '/clients/:id/links',
    {
      config,
      schema: {
        tags,
        summary: 'Create a short link of this client (admin key, or the client’s own sk_)',
        description: '`expires_at` may lie in the past: the link is then expired from the start and its short URL answers 410 Gone.',
        params: ClientParams,
        body: CreateClientLinkBody,
        response: { 201: DataEnvelope(Link, 'Created'), ...writeErrors },
      },
    },
    async (request, reply) => {
      const link = await links.createForClient(callerOf(request), request.params.id, request.body, base(request));
      reply.header('location', `${app.prefix}/clients/${encodeURIComponent(request.params.id)}/links/${link.id}`);
      return reply.status(201).send(ok(link));
    },
  );

  app.get(
    '/clients/:id/links',
    {
      config,
      schema: {
        tags,
        summary: 'The client’s links, newest first (admin key, or the client’s own sk_)',
        params: ClientParams,
        querystring: ListClientLinksQuery,
        response: { 200: ListEnvelope(Link), ...withNotFound, ...forbidden },
      },
    },
    async (request) => {
      const page = await links.listForClient(callerOf(request), request.params.id, request.query, base(request));
      return listOf(page.items, page.total, page.next_cursor);
    },
  );

  app.get(
    '/clients/:id/links/:linkId',
    { config, schema: { tags, summary: 'One link of the client', params: ClientLinkParams, response: { 200: DataEnvelope(Link), ...withNotFound, ...forbidden } } },
    async (request) => ok(await links.getForClient(callerOf(request), request.params.id, request.params.linkId, base(request))),
  );

  app.patch(
    '/clients/:id/links/:linkId',
    {
      config,
      schema: {
        tags,
        summary: 'Change a link of the client; `password: null` removes its password',
        params: ClientLinkParams,
        body: UpdateLinkBody,
        response: { 200: DataEnvelope(Link), ...writeErrors },
      },
    },
    async (request) => ok(await links.updateForClient(callerOf(request), request.params.id, request.params.linkId, request.body, base(request))),
  );

  app.delete(
    '/clients/:id/links/:linkId',
    { config, schema: { tags, summary: 'Delete a link of the client', params: ClientLinkParams, response: { 200: LinkDeleteResult, ...withNotFound, ...forbidden } } },
    async (request) => {
      await links.removeForClient(callerOf(request), request.params.id, request.params.linkId);
      return { success: true as const, deleted: request.params.linkId };
    },
  );
};
