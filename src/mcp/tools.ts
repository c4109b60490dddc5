/**
 * The MCP tools: each calls the same service as its HTTP endpoint, with the same caller, so a
 * client's sk_ meets the same tenant check as on the API; an MCP key's client allow list is
 * checked first. Arguments are validated by the API's own validator against the API's schemas
 * (toolSchemas.ts). A result is a compact text table for the assistant plus the raw JSON in
 * structuredContent; a refusal or bad input is a tool error carrying the API's message.
 */
import type { ValidateFunction } from 'ajv';
import type { TSchema } from 'typebox';
import type { ClientsService } from '../clients/service.js';
import type { EventsService } from '../events/service.js';
import { ApiError } from '../http/apiError.js';
import { fromValidation } from '../http/errorHandler.js';
import { validatorCompiler } from '../http/validation.js';
import type { QueryCaller } from '../keys/readAccess.js';
import type { LinksService } from '../links/service.js';
import { PERIODS } from '../query/period.js';
import { DIMENSIONS, METRICS, type FunnelInput, type QueryInput, type QueryResultView } from '../query/schemas.js';
import type { QueryService } from '../query/service.js';
import { mayReadClient, type McpCaller } from './auth.js';
import { textTable, type Cell } from './textTable.js';
import {
  jsonSchemaOf,
  ListClientsArgs,
  ListLinksArgs,
  QueryAnalyticsArgs,
  RecentEventsArgs,
  RunFunnelArgs,
  type ListClientsArgsInput,
  type ListLinksArgsInput,
  type RecentEventsArgsInput,
} from './toolSchemas.js';

/** The list endpoints' page size when none is given (their query strings' default). */
const DEFAULT_PAGE = 50;

export interface ToolServices {
  clients: ClientsService;
  queries: QueryService;
  events: EventsService;
  links: LinksService;
}

/** What a tool call sees besides its arguments. */
export interface ToolContext {
  caller: McpCaller;
  services: ToolServices;
  /** The base of short URLs for this request (as the links API builds it; throws on a bad Host). */
  linkBase: () => string;
}

export interface ToolOutput {
  text: string;
  data: Record<string, unknown>;
}

interface Tool {
  name: string;
  title: string;
  description: string;
  schema: TSchema;
  /** Only the admin key and MCP keys: a client's sk_ neither sees nor calls it. */
  operatorOnly?: boolean;
  run(args: never, context: ToolContext): Promise<ToolOutput>;
}

/** Refuses a client the key may not read, before anything about it is looked up. */
function readerOf(caller: McpCaller, clientId: string): QueryCaller {
  if (!mayReadClient(caller, clientId)) {
    throw new ApiError(403, 'forbidden', caller.kind === 'secret' ? 'A client key reads only its own client’s data' : `This MCP key may not read client '${clientId}'`);
  }
  return caller.kind === 'secret' ? { door: 'secret', key: caller.secret } : { door: 'admin' };
}

function periodLine(clientId: string, period: QueryResultView['period']): string {
  return `Client ${clientId}, ${period.from} to ${period.to} (exclusive), days in ${period.timezone}`;
}

function queryText(input: QueryInput, result: QueryResultView): string {
  const part = (label: string, table: Omit<QueryResultView, 'compare'>): string =>
    `${label}${periodLine(input.client_id, table.period)}; ${table.rows.length} of ${table.total} rows.\n${textTable(table.columns, table.rows, table.rows.length)}`;
  const main = part('', result);
  return result.compare === undefined ? main : `${main}\n\nPrevious period: ${part('', result.compare)}`;
}

const TOOLS: Tool[] = [
  {
    name: 'list_clients',
    title: 'List clients',
    description: 'The clients (tenants, one per website) this key may read, newest first: id, name, status, domain, time zone. Use an id as client_id in the other tools.',
    schema: ListClientsArgs,
    operatorOnly: true,
    async run(args: ListClientsArgsInput, { caller, services }) {
      const { limit, offset, cursor, ...rest } = args;
      // An allow list narrows the query itself, not the page read: the next page's cursor names the
      // last row read, so a page read wide would hand out another client's id (and pages of nothing).
      const filter = caller.clientIds === null ? rest : { ...rest, ids: caller.clientIds };
      const page = await services.clients.list(filter, { limit: limit ?? DEFAULT_PAGE, ...(offset === undefined ? {} : { offset }), ...(cursor === undefined ? {} : { cursor }) });
      const items = page.items.filter((client) => mayReadClient(caller, client.id));
      const clients = items.map((c) => ({ id: c.id, name: c.name, status: c.status ? 'active' : 'inactive', domain: c.domain, timezone: c.timezone, created_at: c.created_at }));
      const total = page.total;
      const rows: Cell[][] = clients.map((c) => [c.id, c.name, c.status, c.domain, c.timezone, c.created_at]);
      const more = page.next_cursor === null ? '' : `\nMore: call again with cursor "${page.next_cursor}".`;
      return {
        text: `${clients.length} client(s) shown of ${total}.\n${textTable(['id', 'name', 'status', 'domain', 'timezone', 'created_at'], rows)}${more}`,
        data: { clients, count: total, next_cursor: page.next_cursor },
      };
    },
  },
  {
    name: 'query_analytics',
    title: 'Query analytics',
    description: `Aggregates of one client’s events, exactly as POST /api/v1/query: metrics (${METRICS.join(', ')}) by up to 3 dimensions (${DIMENSIONS.join(', ')}), with filters and a period (${PERIODS.filter((p) => p !== 'custom').join(', ')}, or from/to; default 30d, in the client’s time zone). Example: {"client_id":"acme","metrics":["unique_visitors"],"dimensions":["path"],"period":"7d","order_by":[{"column":"unique_visitors","direction":"desc"}],"limit":10}.`,
    schema: QueryAnalyticsArgs,
    async run(args: QueryInput, { caller, services }) {
      const result = await services.queries.query(readerOf(caller, args.client_id), args);
      return { text: queryText(args, result), data: result };
    },
  },
  {
    name: 'run_funnel',
    title: 'Run a funnel',
    description:
      'Persons reaching each of 2–8 ordered steps ({"event": name} or {"path": "/x"}) within a window (default 1 day), as POST /api/v1/query/funnel, over a period (default 30d).',
    schema: RunFunnelArgs,
    async run(args: FunnelInput, { caller, services }) {
      const result = await services.queries.funnel(readerOf(caller, args.client_id), args);
      const rows: Cell[][] = result.steps.map((s) => [s.step, s.label, s.count, s.conversion_rate, s.step_conversion_rate]);
      const text = `${periodLine(args.client_id, result.period)}; window ${result.window_seconds} s.\n${textTable(['step', 'label', 'count', 'conversion_rate', 'step_conversion_rate'], rows)}`;
      return { text, data: result };
    },
  },
  {
    name: 'recent_events',
    title: 'Recent events',
    description: 'One client’s most recent raw events, newest first (limit 1–500, default 50; after / after_seq to read only newer ones), as GET /api/v1/clients/{id}/events.',
    schema: RecentEventsArgs,
    async run(args: RecentEventsArgsInput, { caller, services }) {
      const { client_id: clientId, limit, ...rest } = args;
      const reader = readerOf(caller, clientId);
      const events = await services.events.recent(clientId, { ...rest, limit: limit ?? DEFAULT_PAGE }, reader.door === 'secret' ? reader.key : undefined);
      const rows: Cell[][] = events.map((e) => [e.seq, e.received_at, e.event, e.distinct_id, e.path, e.referrer_host, e.country, e.browser, e.device_type]);
      const text = `Client ${clientId}: ${events.length} most recent event(s), newest first.\n${textTable(['seq', 'received_at', 'event', 'distinct_id', 'path', 'referrer_host', 'country', 'browser', 'device_type'], rows)}`;
      return { text, data: { events } };
    },
  },
  {
    name: 'list_links',
    title: 'List short links',
    description: 'One client’s short links, newest first, with their live click counts (filter by tag or a substring q), as GET /api/v1/clients/{id}/links.',
    schema: ListLinksArgs,
    async run(args: ListLinksArgsInput, { caller, services, linkBase }) {
      const { client_id: clientId, limit, ...rest } = args;
      const page = await services.links.listForClient(readerOf(caller, clientId), clientId, { ...rest, limit: limit ?? DEFAULT_PAGE }, linkBase());
      const rows: Cell[][] = page.items.map((l) => [l.id, l.short_url, l.destination_url, l.title, l.clicks, l.created_at]);
      const more = page.next_cursor === null ? '' : `\nMore: call again with cursor "${page.next_cursor}".`;
      return {
        text: `Client ${clientId}: ${page.items.length} link(s) shown of ${page.total}.\n${textTable(['id', 'short_url', 'destination_url', 'title', 'clicks', 'created_at'], rows)}${more}`,
        data: { links: page.items, count: page.total, next_cursor: page.next_cursor },
      };
    },
  },
];

const validators = new Map<string, ValidateFunction>(
  TOOLS.map((tool) => [tool.name, validatorCompiler({ schema: tool.schema, httpPart: 'body', method: 'POST', url: '/mcp' }) as ValidateFunction]),
);

/** The tools a caller is offered (tools/list). */
export function toolsFor(caller: McpCaller): { name: string; title: string; description: string; inputSchema: { type: 'object'; [key: string]: unknown } }[] {
  return TOOLS.filter((tool) => !(tool.operatorOnly === true && caller.kind === 'secret')).map((tool) => ({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchemaOf(tool.schema),
  }));
}

export const isToolName = (name: string): boolean => TOOLS.some((tool) => tool.name === name);

/** Runs a tool for the caller; throws ApiError for anything refused or invalid (the caller reports it). */
export async function runTool(name: string, args: unknown, context: ToolContext): Promise<ToolOutput> {
  const tool = TOOLS.find((candidate) => candidate.name === name);
  if (tool === undefined) throw new ApiError(404, 'not_found', `Unknown tool '${name}'`);
  if (!context.caller.scopes.includes('tools:execute')) throw new ApiError(403, 'forbidden', 'This MCP key lacks the tools:execute scope: it may list the tools, not call them');
  if (tool.operatorOnly === true && context.caller.kind === 'secret') throw new ApiError(403, 'forbidden', `${name} is for the admin key and MCP keys; a client’s secret key reads only its own client`);
  const validate = validators.get(tool.name) as ValidateFunction;
  const input = args ?? {};
  if (!validate(input)) throw fromValidation(validate.errors ?? [], 'body');
  return tool.run(input as never, context);
}
