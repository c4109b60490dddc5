/**
 * `POST /mcp`: the Model Context Protocol over Streamable HTTP, stateless (a fresh SDK `Server` and
 * transport per request, JSON answers rather than event streams): any node answers any request,
 * as the rest of the API, and nothing is held between requests. Outside the admin scope: it has
 * its own Bearer auth (admin key, a client's sk_, or an MCP key mak_; auth.ts), a token bucket per
 * key, a small body limit, and a log line per tool call (key id, tool, client, outcome, ms; never
 * the key). Fastify parses and bounds the body; the SDK gets the raw request and response.
 * GET (a server-initiated event stream) and DELETE (ending a session) have no meaning without
 * sessions: 405, as the transport's specification allows.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyBaseLogger, FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/apiError.js';
import { toApiError } from '../http/errorHandler.js';
import { publicOrigin } from '../http/publicOrigin.js';
import { TokenBuckets, type RateLimit } from '../ingest/rateLimit.js';
import { shortUrlBase, type LinksOrigin } from '../links/shortUrl.js';
import type { Clock } from '../shared/clock.js';
import { VERSION } from '../version.js';
import { mcpCallerOf, type McpAuthDeps, type McpCaller } from './auth.js';
import { isToolName, runTool, toolsFor, type ToolServices } from './tools.js';

/** 120 requests a minute per key, all at once after a quiet spell: an assistant's burst of questions, not a scraper. */
export const DEFAULT_MCP_RATE_LIMIT: RateLimit = { perSecond: 2, burst: 120 };
/** A tools/call is a few hundred bytes (a query body); 64 KiB leaves room and bounds the parse. */
export const MCP_BODY_LIMIT_BYTES = 64 * 1024;

export interface McpOptions {
  /** Per key (admin key, each sk_, each mak_); perSecond 0 turns it off. */
  rateLimit?: RateLimit;
}

export interface McpRoutesOptions extends McpOptions {
  auth: McpAuthDeps;
  services: ToolServices;
  clock: Clock;
  publicUrl?: string | undefined;
  linksHost?: LinksOrigin | undefined;
}

const INSTRUCTIONS =
  'Mythic web analytics. Start with list_clients (admin and MCP keys) to find a client_id, then query_analytics for aggregates, run_funnel for conversion funnels, recent_events for raw events and list_links for short links. Periods are in the client’s time zone.';

/** A JSON-RPC error answer outside any request (no id): what MCP clients read from a refused POST. */
function rpcError(reply: FastifyReply, status: number, message: string, headers: Record<string, string> = {}): FastifyReply {
  return reply
    .status(status)
    .headers(headers)
    .type('application/json')
    .send({ jsonrpc: '2.0', error: { code: ErrorCode.ConnectionClosed, message }, id: null });
}

function toolError(error: unknown, log: FastifyBaseLogger): CallToolResult {
  if (error instanceof ApiError) {
    const details = error.details?.map((d) => `${d.field} ${d.message}`).join('; ');
    const text = `${error.code}: ${error.message}${details !== undefined && !error.message.includes(details) ? ` (${details})` : ''}`;
    return { isError: true, content: [{ type: 'text', text }] };
  }
  log.error({ err: error }, 'mcp tool failed');
  return { isError: true, content: [{ type: 'text', text: 'internal: the tool failed on the server (logged); try again or narrow the request' }] };
}

/** The per-request MCP server of one caller. */
function serverFor(caller: McpCaller, options: McpRoutesOptions, linkBase: () => string, log: FastifyBaseLogger): Server {
  const server = new Server({ name: 'mythic', title: 'Mythic analytics', version: VERSION }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    if (!caller.scopes.includes('tools:read')) throw new McpError(ErrorCode.InvalidRequest, 'forbidden: this MCP key lacks the tools:read scope');
    return { tools: toolsFor(caller) };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    if (!isToolName(name)) throw new McpError(ErrorCode.InvalidParams, `Unknown tool '${name}'`);
    const started = performance.now();
    // As sent (it may name no client), bounded: the log is not a place for a caller's 64 KiB.
    const clientId = typeof args?.client_id === 'string' ? args.client_id.slice(0, 255) : null;
    let outcome: 'ok' | 'refused' | 'invalid' | 'error' = 'ok';
    try {
      const output = await runTool(name, args, { caller, services: options.services, linkBase });
      return { content: [{ type: 'text', text: output.text }], structuredContent: output.data };
    } catch (error) {
      outcome = error instanceof ApiError ? (error.status === 400 ? 'invalid' : 'refused') : 'error';
      return toolError(error, log);
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      log.info({ mcp: { key_id: caller.keyId, key_kind: caller.kind, tool: name, client_id: clientId, outcome, ms } }, 'mcp tool call');
    }
  });
  return server;
}

export const mcpRoutes: FastifyPluginAsync<McpRoutesOptions> = async (app, options) => {
  // Failures before the SDK has the request (a body too large or not JSON) answer as JSON-RPC
  // errors too, with the API's codes in the message.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toApiError(error);
    if (known === null) {
      request.log.error({ err: error }, 'mcp request failed');
      return rpcError(reply, 500, 'internal: the request failed on the server (logged)');
    }
    const message = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `The body is larger than the limit of ${MCP_BODY_LIMIT_BYTES / 1024} KiB` : known.message;
    return rpcError(reply, known.status, `${known.code}: ${message}`, known.headers ?? {});
  });

  const buckets = new TokenBuckets(options.rateLimit ?? DEFAULT_MCP_RATE_LIMIT);
  const callers = new WeakMap<FastifyRequest, McpCaller>();

  // Before the body is read: an unknown key or a caller over its rate costs no parsing.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    const caller = await mcpCallerOf(request.headers.authorization, options.auth);
    if (caller === null) {
      return rpcError(reply, 401, 'Unauthorized: send "Authorization: Bearer <key>" with the admin key, a client’s secret key (sk_…) or an MCP key (mak_…) that is current', {
        'www-authenticate': 'Bearer realm="mythic"',
      });
    }
    const wait = buckets.take(caller.keyId, options.clock());
    if (wait > 0) return rpcError(reply, 429, `Too many requests with this key; retry in ${wait} s`, { 'retry-after': String(wait) });
    callers.set(request, caller);
    return undefined;
  });

  app.post('/mcp', { bodyLimit: MCP_BODY_LIMIT_BYTES, schema: { hide: true } }, async (request, reply) => {
    const caller = callers.get(request) as McpCaller;
    // Fastify has read the body: the SDK must be handed one, or it would wait to read it again.
    if (request.body === undefined || request.body === null) return rpcError(reply, 400, 'invalid_json: The body is empty; send a JSON-RPC message');
    const linkBase = (): string => shortUrlBase(options.linksHost, () => publicOrigin(request, options.publicUrl));
    const server = serverFor(caller, options, linkBase, request.log);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.setHeader('x-request-id', request.id);
    reply.raw.once('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });

  const notAllowed = async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    rpcError(reply, 405, 'Method not allowed: this server is stateless; send JSON-RPC requests with POST', { allow: 'POST' });
  app.get('/mcp', { schema: { hide: true } }, notAllowed);
  app.delete('/mcp', { schema: { hide: true } }, notAllowed);
};
