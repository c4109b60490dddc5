import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { agencyRoutes } from './agencies/routes.js';
import { AgenciesService } from './agencies/service.js';
import { clientRoutes } from './clients/routes.js';
import { ClientsService } from './clients/service.js';
import type { EventStore } from './events/eventStore.js';
import { eventRoutes } from './events/routes.js';
import { EventsService } from './events/service.js';
import { funnelRoutes } from './funnels/routes.js';
import { FunnelsService } from './funnels/service.js';
import { healthRoutes } from './health/routes.js';
import { hostnameRoutes } from './hostnames/routes.js';
import { HostnamesService } from './hostnames/service.js';
import { adminAuth } from './http/adminAuth.js';
import { trackMetaChanges } from './http/changeTracking.js';
import { installJsonBodyParser } from './http/bodyParser.js';
import { ErrorEnvelope } from './http/envelope.js';
import { ApiError } from './http/apiError.js';
import { DEFAULT_BODY_BUDGET, installBodyBudget } from './http/bodyBudget.js';
import type { TrustProxy } from './config.js';
import { installErrorHandling, sendError, toApiError } from './http/errorHandler.js';
import { loggerOptions, RequestLog } from './http/logging.js';
import { DEFAULT_HTTP_TIMEOUTS, timeoutServerOptions, type HttpTimeouts } from './http/timeouts.js';
import { registerOpenApi, serveOpenApiDocument } from './http/openapi.js';
import { rejectUnstorableText } from './http/textGuard.js';
import { validatorCompiler } from './http/validation.js';
import { EventWriter, type EventWriterOptions } from './pipeline/eventWriter.js';
import { deriveIpHashSecret } from './ingest/ip.js';
import { LinkAnalyticsService } from './links/analytics.js';
import { linkAnalyticsRoutes } from './links/analyticsRoutes.js';
import type { Locator } from './ingest/geo/geoLookup.js';
import { shippedGeoLookup } from './ingest/geo/openGeoLookup.js';
import { ingestRoutes, type IngestRoutesOptions } from './ingest/routes.js';
import { KeysService } from './keys/service.js';
import { loaderAdminRoutes } from './loader/adminRoutes.js';
import { LoaderAdminService } from './loader/adminService.js';
import { RemoteConfigService } from './loader/remoteConfigService.js';
import { loaderRoutes } from './loader/routes.js';
import { loadSdkAssets } from './loader/sdkAssets.js';
import { linkRoutes } from './links/routes.js';
import { linkClickCounts } from './links/clickCounts.js';
import { LinksService } from './links/service.js';
import { systemClock, type Clock } from './shared/clock.js';
import { MetaChanges } from './shared/metaChanges.js';
import { snippetRoutes } from './snippets/routes.js';
import { SnippetsService } from './snippets/service.js';
import type { MetaStore } from './store/metaStore.js';
import { tagRoutes } from './tags/routes.js';
import { TagsService } from './tags/service.js';
import { VERSION } from './version.js';
import { outboundAllowList } from './outbound/allowList.js';
import { createOutbound } from './outbound/nodeOutbound.js';
import type { Outbound } from './outbound/outbound.js';
import { webhookRoutes } from './webhooks/routes.js';
import type { WebhookEvents } from './webhooks/webhookEvents.js';
import { createWebhooks, type WebhooksOptions } from './webhooks/webhooks.js';
import { createPubSub, type PubSubOptions } from './pubsub/pubsub.js';
import { pubsubRoutes } from './pubsub/routes.js';
import { publicQueryRoutes, queryRoutes } from './query/routes.js';
import { QueryService } from './query/service.js';
import type { RateLimit } from './ingest/rateLimit.js';
import { linksHostRewrite, parseLinksHost, type LinksHost } from './links/linksHost.js';
import { deriveFormTokenSecret } from './links/passwordFormToken.js';
import { redirectRoutes } from './links/redirectRoutes.js';
import { RedirectService, type RedirectServiceOptions } from './links/redirectService.js';
import { verifyLinkPassword } from './links/password.js';
import { loadWebAssets } from './web/assets.js';
import { webRoutes } from './web/routes.js';
import { whoamiRoutes } from './web/whoamiRoutes.js';
import { WhoamiService } from './web/whoamiService.js';
import { uptimeRoutes } from './uptime/routes.js';
import { UptimeScheduler, type UptimeSchedulerOptions } from './uptime/scheduler.js';
import { UptimeService } from './uptime/service.js';
import { mcpKeyRoutes } from './mcp/routes.js';
import { mcpRoutes, type McpOptions } from './mcp/mcpRoutes.js';
import { McpKeysService } from './mcp/service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves once every event acknowledged so far is in the EventStore (reads then see it). */
    eventsSettled(): Promise<void>;
    /** Where links and uptime publish what webhooks deliver (the WebhookEvents contract). */
    webhookEvents: WebhookEvents;
  }
}

export const API_PREFIX = '/api/v1';
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  store: MetaStore;
  /** Where ingested events go; opened and closed by the caller, like `store`. */
  events: EventStore;
  /** Directory of the write-ahead journal in front of `events` (the data dir's `journal`). */
  journalDir: string;
  /** Bounds of the group-commit queues in front of `events`. */
  writer?: Partial<EventWriterOptions>;
  /** SHA-256 (hex) of the admin key; the key itself is never kept. */
  adminKeyHash: string;
  clock?: Clock;
  /** A pino level, or false for no logging (tests). */
  logLevel?: string | false;
  /** Where log lines go instead of stdout (tests read what the app logs). */
  logStream?: NodeJS.WritableStream;
  /** Ingestion rate limits and size limits; defaults in src/ingest/service.ts and events.ts. */
  ingest?: Pick<IngestRoutesOptions, 'limits' | 'rateLimits' | 'metaCacheTtlMs'>;
  /** Which peers' X-Forwarded-For sets `request.ip` (per-address limits, stored addresses); none unless given. */
  trustProxy?: TrustProxy;
  /** The origin browsers reach this server at (MYTHIC_PUBLIC_URL), for embed codes; unset: each request's valid Host. */
  publicUrl?: string | undefined;
  /** Per-address limit of the public query endpoint (default in src/query/routes.ts; perSecond 0 turns it off). */
  publicQueryRateLimit?: RateLimit;
  /** Request, header and keep-alive timeouts of the HTTP server (defaults in src/http/timeouts.ts). */
  timeouts?: HttpTimeouts;
  /** The location database visitors are looked up in (MYTHIC_GEOIP_DB); default: the shipped country database. */
  geo?: Locator;
  /** Addresses, CIDR ranges and host names outbound requests may reach although not public (MYTHIC_OUTBOUND_ALLOW). */
  outboundAllow?: readonly string[];
  /** Replaces the outbound request function (its allow list then is its own). */
  outbound?: Outbound;
  /** Timings of webhook deliveries (retry schedule, polling, batching); defaults in src/webhooks/. */
  webhooks?: WebhooksOptions;
  /** The dedicated short-link host (MYTHIC_LINKS_HOST): short URLs are <origin>/<slug>, and requests to it reach only the redirect. Unset: <public origin>/l/<slug>. */
  linksHost?: LinksHost | string | undefined;
  /** The redirect's slug cache and password-try limits (defaults in src/links/passwordTries.ts, resolvedLinks.ts). */
  redirect?: Pick<RedirectServiceOptions, 'cache' | 'passwordRateLimit' | 'passwordLinkRateLimit' | 'passwordChecksAtOnce'>;
  /** Pub/Sub's clock, stage window and retention, push timings (defaults in src/pubsub/). */
  pubsub?: PubSubOptions;
  /** Timings of the uptime scheduler (tests shorten them); false: this process runs no checks. */
  uptime?: Partial<UptimeSchedulerOptions> | false;
  /** The MCP endpoint's per-key rate limit (default in src/mcp/mcpRoutes.ts). */
  mcp?: McpOptions;
}

/** A links host given as text (tests, embedders): read as MYTHIC_LINKS_HOST is. */
function linksHostOf(raw: string): LinksHost {
  const parsed = parseLinksHost(raw);
  if (parsed === null) throw new Error(`not a links host (a host name or an http(s) origin): '${raw}'`);
  return parsed;
}

/** Builds the HTTP application around already-opened stores. It does not listen. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const linksHost = typeof options.linksHost === 'string' ? linksHostOf(options.linksHost) : options.linksHost;
  const app = Fastify({
    logger: options.logLevel ? { ...loggerOptions(options.logLevel), ...(options.logStream ? { stream: options.logStream } : {}) } : false,
    logController: new RequestLog(),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: options.trustProxy ?? false,
    ...timeoutServerOptions(options.timeouts ?? DEFAULT_HTTP_TIMEOUTS),
    // Client ids may be 255 characters; Fastify's default limit for a path parameter is 100.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    // On the links host only the redirect answers (see links/linksHost.ts).
    ...(linksHost === undefined ? {} : { rewriteUrl: linksHostRewrite(linksHost) }),
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, toApiError(error) ?? new ApiError(400, 'validation_error', error.message));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.addSchema(ErrorEnvelope);
  installErrorHandling(app);
  installJsonBodyParser(app);
  app.addHook('preValidation', rejectUnstorableText);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  installBodyBudget(app, { ...DEFAULT_BODY_BUDGET, maxBodyBytes: BODY_LIMIT_BYTES });

  await registerOpenApi(app, VERSION);

  // Every event write goes through this queue; closing the app waits for the queued ones to commit.
  // Applies what an earlier process journaled but had not moved into the EventStore, first.
  // The MetaStore's lives let it drop records of a client another node erased.
  const writer = await EventWriter.open(
    options.events,
    options.journalDir,
    options.writer,
    (message, error) => app.log.error({ err: error }, message),
    (ids) => options.store.clientLives(ids),
  );
  const ipHashSecret = deriveIpHashSecret(options.adminKeyHash);
  const geo = options.geo ?? shippedGeoLookup();
  const metaChanges = new MetaChanges();
  // Every request to a user-given URL (webhook deliveries, uptime checks) goes through this one.
  const outbound = options.outbound ?? createOutbound({ allow: options.outboundAllow ?? [] });
  const webhooks = createWebhooks(
    { store: options.store, outbound, allow: outboundAllowList(options.outboundAllow ?? []), adminKeyHash: options.adminKeyHash, clock, log: app.log },
    options.webhooks,
  );
  if (options.uptime !== false) {
    const uptimeScheduler = new UptimeScheduler(
      {
        store: options.store,
        outbound,
        webhooks: webhooks.events,
        clock,
        log: (message, error) => app.log.error({ err: error }, message),
      },
      options.uptime,
    );
    // Checks start once the app is ready and stop before the stores close (closing waits for
    // running checks, bounded); registered before the deliveries' hook, so they stop first.
    app.addHook('onReady', async () => uptimeScheduler.start());
    app.addHook('onClose', () => uptimeScheduler.close());
  }
  // Deliveries start once the app is ready (migrations applied, routes registered) and stop,
  // the gathered clicks stored first, when it closes: before the MetaStore is closed by the caller.
  app.addHook('onReady', async () => {
    webhooks.start();
  });
  app.addHook('onClose', () => webhooks.stop());
  // Pub/Sub's push sender, likewise: started when ready, stopped (its batch in flight awaited)
  // before the stores close.
  const pubsub = createPubSub(
    {
      store: options.store,
      events: options.events,
      outbound,
      allow: outboundAllowList(options.outboundAllow ?? []),
      adminKeyHash: options.adminKeyHash,
      log: app.log,
    },
    options.pubsub,
  );
  app.addHook('onReady', async () => {
    pubsub.start();
  });
  app.addHook('onClose', () => pubsub.stop());
  app.decorate('webhookEvents', webhooks.events);
  // Short links' clicks go through the same writer; the redirect gathers them for a few ms (clickBatch.ts).
  const redirects = new RedirectService({
    ...options.redirect,
    lookups: options.store,
    metaChanges,
    clock,
    sink: writer,
    secret: ipHashSecret,
    geo,
    webhooks: webhooks.events,
    verifyPassword: verifyLinkPassword,
    formSecret: deriveFormTokenSecret(options.adminKeyHash),
    warn: (message, error) => app.log.warn({ err: error }, message),
  });
  app.addHook('preClose', (done) => {
    redirects.flushClicks();
    done();
  });
  app.addHook('onClose', () => writer.close());
  app.decorate('eventsSettled', () => {
    redirects.flushClicks();
    return writer.settled();
  });
  const keys = new KeysService(options.store, clock);
  const clients = new ClientsService(options.store, clock, (client) => writer.eraseClient(client.id, clock(), client.created_at));
  const events = new EventsService(options.store, options.events, keys, () => writer.settled());
  const agencies = new AgenciesService(options.store, clock, clients);
  const queries = new QueryService(options.store, options.events, keys, clock);
  const links = new LinksService({
    store: options.store,
    keys,
    clock,
    clickCounts: linkClickCounts(options.events, clock),
    webhooks: webhooks.events,
    reportError: (message, error) => app.log.error({ err: error }, message),
    reportWarning: (message, error) => app.log.warn({ err: error }, message),
  });

  await app.register(healthRoutes, { store: options.store });
  await app.register(ingestRoutes, {
    ...options.ingest,
    sink: writer,
    keys,
    store: options.store,
    clock,
    metaChanges,
    ipHashSecret,
    geo,
  });
  // Public scripts (/s/<pk>.js, /sdk/v1/core.js): outside the admin scope, no key needed.
  await app.register(loaderRoutes, { remoteConfigs: new RemoteConfigService(options.store, keys), assets: loadSdkAssets() });
  // The dashboard's page and files: public (they hold no data); it signs in against /api/v1/whoami.
  await app.register(webRoutes, { assets: loadWebAssets() });
  // Short links: /l/<slug> here, /<slug> on the links host. Public, like the scripts.
  await app.register(redirectRoutes, { redirects, publicUrl: options.publicUrl, linksHost });
  // The publishable-key door of the query API: outside the admin scope, for customers' pages.
  await app.register(publicQueryRoutes, {
    queries,
    clock,
    ...(options.publicQueryRateLimit ? { rateLimit: options.publicQueryRateLimit } : {}),
    prefix: API_PREFIX,
  });
  // The MCP endpoint (/mcp): its own Bearer auth (admin key, sk_, mak_), outside the admin scope.
  const mcpKeys = new McpKeysService(options.store, clock);
  await app.register(mcpRoutes, {
    ...options.mcp,
    auth: { adminKeyHash: options.adminKeyHash, store: options.store, keys, mcpKeys },
    services: { clients, queries, events, links },
    clock,
    publicUrl: options.publicUrl,
    linksHost,
  });
  await app.register(
    async (api) => {
      api.addHook('onRequest', adminAuth(options.adminKeyHash));
      api.addHook('onSend', trackMetaChanges(metaChanges));
      await api.register(clientRoutes, { clients });
      await api.register(tagRoutes, { tagsService: new TagsService(options.store, clock), verdicts: options.store });
      await api.register(snippetRoutes, { snippets: new SnippetsService(options.store, clock), verdicts: options.store });
      await api.register(hostnameRoutes, { hostnames: new HostnamesService(options.store, clock) });
      await api.register(funnelRoutes, { funnels: new FunnelsService(options.store, keys, clock) });
      await api.register(linkRoutes, { links, publicUrl: options.publicUrl, linksHost });
      await api.register(uptimeRoutes, { uptime: new UptimeService(options.store, keys, clock) });
      await api.register(loaderAdminRoutes, { loader: new LoaderAdminService(options.store), publicUrl: options.publicUrl });
      await api.register(agencyRoutes, { agencies });
      await api.register(eventRoutes, { events });
      await api.register(queryRoutes, { queries });
      await api.register(linkAnalyticsRoutes, { analytics: new LinkAnalyticsService(options.store, options.events, keys, clock) });
      await api.register(whoamiRoutes, { whoami: new WhoamiService(options.store, keys) });
      await api.register(webhookRoutes, { webhooks: webhooks.service });
      await api.register(pubsubRoutes, { pubsub: pubsub.service, keys });
      await api.register(mcpKeyRoutes, { mcpKeys, keys });
      serveOpenApiDocument(api, app, '/openapi.json');
    },
    { prefix: API_PREFIX },
  );
  return app;
}
