#!/usr/bin/env node
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, redactClickhouseUrl, SETTINGS, type Config } from './config.js';
import { UnmarkedDemoClient } from './demo/demoMark.js';
import { DEMO_FLAGS, FORCE_FLAG, takeDemoOptions, type DemoOptions } from './demo/options.js';
import { MIGRATE_EVENTS_FLAGS, MigrateEventsFailed, takeMigrateEventsArgs } from './migrateEventsArgs.js';
import type { EventStore } from './events/eventStore.js';
import { journalDirOf, openEventStore } from './engines/openEventStore.js';
import { describeGeoLookup, openConfiguredGeoLookup } from './ingest/geo/configuredGeoLookup.js';
import { resolveAdminKey, type AdminKey } from './keys/adminKey.js';
import { SdkAssetsMissing } from './loader/sdkAssets.js';
import { sha256Hex } from './keys/secrets.js';
import { ApiError } from './http/apiError.js';
import type { MetaStore } from './store/metaStore.js';
import { describeMetaStore, openMetaStore } from './store/openMetaStore.js';
import { VERSION } from './version.js';

const USAGE = `mythic ${VERSION}: self-hostable multi-tenant web analytics

Usage:
  mythic serve [options]     start the HTTP server (applies pending migrations first)
  mythic migrate [options]   apply pending migrations and exit
  mythic seed-demo [options] create the client 'demo' and fill it with synthetic traffic
                             (replaces its earlier events; stop the server first)
  mythic migrate-events --to <clickhouse-url> [options]
                             copy the data dir's events into ClickHouse, resumably,
                             and verify the copy by counting both sides (stop the server first)
  mythic --version | --help

Options (each also read from the environment variable shown):
${Object.values(SETTINGS)
  .map((s) => `  --${s.flag.padEnd(18)} ${s.env.padEnd(25)} ${s.default === undefined ? '' : `default ${s.default}`}`)
  .join('\n')}

Options of seed-demo:
${Object.entries(DEMO_FLAGS)
  .map(([flag, d]) => `  --${flag.padEnd(18)} ${d.help}, default ${d.default}`)
  .join('\n')}
  --${FORCE_FLAG.flag.padEnd(18)} ${FORCE_FLAG.help}

Options of migrate-events:
${Object.values(MIGRATE_EVENTS_FLAGS)
  .map((f) => `  --${f.flag.padEnd(18)} ${f.help}`)
  .join('\n')}
`;

/**
 * Said on every start, not only the first: an operator who restarts the server (or inherited it)
 * otherwise has no way to learn where the key lives or where the dashboard is.
 */
function announceAdminKey(admin: AdminKey, config: Config): void {
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  if (admin.source.kind === 'generated') {
    // Shown once, on the start that created it; afterwards it is only in the 0600 file.
    process.stdout.write(
      `\nGenerated an admin key and saved it to ${admin.source.path} (readable only by this user):\n\n` +
        `    ${admin.key}\n\n` +
        `Use it as a bearer token, e.g.\n` +
        `    curl -H "Authorization: Bearer $(cat ${admin.source.path})" ${base}/api/v1/clients\n` +
        `Set MYTHIC_ADMIN_KEY to use a key of your own instead.\n\n`,
    );
  } else if (admin.source.kind === 'file') {
    process.stdout.write(`Admin key: in ${admin.source.path} (print it with: cat ${admin.source.path})\n`);
    if (admin.source.loosePermissions) {
      process.stderr.write(`mythic: warning: ${admin.source.path} is readable by other users; run chmod 600 on it\n`);
    }
  } else {
    // Flags win over the environment, so an equal environment value means no flag overrode it.
    const fromEnvironment = process.env[SETTINGS.adminKey.env] === admin.key;
    process.stdout.write(`Admin key: the one set by ${fromEnvironment ? `the environment (${SETTINGS.adminKey.env})` : `--${SETTINGS.adminKey.flag}`}\n`);
  }
  // Where browsers reach the server, when the operator said so (MYTHIC_PUBLIC_URL).
  process.stdout.write(`Dashboard: ${config.publicUrl ?? base}/ (sign in with the admin key)\n`);
}

/**
 * The configured ClickHouse could not be opened (unreachable, refused the login, chdb missing):
 * said with where it is, its password hidden, and never taken for a MetaStore failure.
 */
class EventEngineUnavailable extends Error {
  constructor(url: string, cause: unknown) {
    let message = cause instanceof Error ? cause.message : String(cause);
    // The engine's errors do not quote the URL; should one ever do, its password still stays hidden.
    const password = URL.canParse(url) ? new URL(url).password : '';
    if (password !== '') message = message.split(password).join('***').split(decodeURIComponent(password)).join('***');
    super(`cannot use ClickHouse at ${redactClickhouseUrl(url)} (${SETTINGS.clickhouseUrl.env} / --${SETTINGS.clickhouseUrl.flag}): ${message.replace(/\s*\n\s*/g, ' ')}`);
  }
}

async function openEvents(config: Config): Promise<EventStore> {
  if (config.clickhouseUrl === undefined) return openEventStore(config);
  try {
    return await openEventStore(config);
  } catch (error) {
    throw new EventEngineUnavailable(config.clickhouseUrl, error);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN']);

/** Start-up failures the operator can fix, as one readable line. */
function explain(error: unknown, config: Config | undefined): string {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (error instanceof ConfigError || error instanceof SdkAssetsMissing || error instanceof ApiError || error instanceof UnmarkedDemoClient || error instanceof EventEngineUnavailable || error instanceof MigrateEventsFailed) {
    return error.message;
  }
  if (e.code === 'EADDRINUSE') return `port ${config?.port} on ${config?.host} is already in use; choose another with PORT or --port`;
  if (e.code === 'EADDRNOTAVAIL') return `cannot listen on ${config?.host}: no such local address (HOST / --host)`;
  if (e.code === 'EACCES' && e.syscall === 'listen') return `not allowed to listen on port ${config?.port}; use a port above 1023`;
  // With PostgreSQL configured, network errors and SQLSTATE codes (five characters) are the database's.
  const fromDatabase = typeof e.code === 'string' && (/^[0-9A-Z]{5}$/.test(e.code) || NETWORK_CODES.has(e.code));
  if (config?.databaseUrl !== undefined && fromDatabase) {
    return `cannot use the database (${describeMetaStore(config)}): ${e.message}`;
  }
  if (e.code === 'SQLITE_BUSY' || /Could not set lock on file/.test(e.message ?? '')) {
    return `the data dir ${config?.dataDir ?? ''} is in use by another mythic process (one process owns the SQLite store; use PostgreSQL for several)`;
  }
  if (['EACCES', 'EROFS', 'EEXIST', 'ENOTDIR', 'ENOSPC', 'SQLITE_CANTOPEN'].includes(e.code ?? '')) {
    return `cannot use the data dir ${config?.dataDir ?? ''} (MYTHIC_DATA_DIR / --data-dir): ${e.message}`;
  }
  return `failed to start: ${e.stack ?? String(error)}`;
}

async function serve(config: Config): Promise<void> {
  // Read before anything is created or opened: a City database that cannot be used stops the start at once.
  const geo = openConfiguredGeoLookup(config);
  const admin = resolveAdminKey(config.adminKey, config.dataDir);
  let store: MetaStore | undefined;
  let events: EventStore | undefined;
  let app: FastifyInstance;
  try {
    store = await openMetaStore(config);
    await store.migrate();
    events = await openEvents(config);
    // Loaded after the configuration is known to be valid, so a bad setting fails at once.
    const { buildApp } = await import('./app.js');
    app = await buildApp({
      store,
      events,
      journalDir: journalDirOf(config),
      trustProxy: config.trustProxy,
      publicUrl: config.publicUrl,
      ...(config.outboundAllow === undefined ? {} : { outboundAllow: config.outboundAllow }),
      linksHost: config.linksHost,
      adminKeyHash: sha256Hex(admin.key),
      logLevel: config.logLevel === 'silent' ? false : config.logLevel,
      ingest: {
        rateLimits: { perIp: { perSecond: config.rateLimitPerIp }, perKey: { perSecond: config.rateLimitPerKey } },
        metaCacheTtlMs: config.metaCacheTtlMs,
      },
      timeouts: { requestMs: config.requestTimeoutMs, headersMs: config.headersTimeoutMs, keepAliveMs: config.keepAliveTimeoutMs },
      geo,
    });
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await events?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    // A key generated by a start that failed was never shown; left on disk, the next start would
    // load it silently and the operator would never see it. Remove it so the next start announces one.
    if (admin.source.kind === 'generated') rmSync(admin.source.path, { force: true });
    throw error;
  }
  // Before the start is announced: whoever reads "listening" may send SIGTERM at once, and until a
  // handler is installed the signal's default action kills the process without closing the stores.
  stopOnSignals(app, store, events);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  announceAdminKey(admin, { ...config, port });
  process.stdout.write(
    `Mythic ${VERSION} listening on http://${config.host}:${port} (meta store: ${describeMetaStore(config)}; events: ${events.description})\n${describeGeoLookup(geo, config)}\n`,
  );
}

function stopOnSignals(app: FastifyInstance, store: MetaStore, events: EventStore): void {
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, finishing requests in flight…\n`);
    // Closing the app waits for requests in flight and for queued events to commit.
    await app.close();
    await events.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function migrate(config: Config): Promise<void> {
  const store = await openMetaStore(config);
  try {
    await store.migrate();
    // openEventStore migrates the event engine as it opens it.
    const events = await openEvents(config);
    await events.close();
    process.stdout.write(`Migrations applied (meta store: ${describeMetaStore(config)}; events: ${events.description})\n`);
  } finally {
    await store.close();
  }
}

async function seedDemoCommand(config: Config, options: DemoOptions): Promise<void> {
  // Loaded only for this command: serving never pays for the generator.
  const { describeSeed, seedDemo } = await import('./demo/seedDemo.js');
  process.stdout.write(`Generating ${options.days} day${options.days === 1 ? '' : 's'} of demo traffic…\n`);
  const outcome = await seedDemo(config, options);
  process.stdout.write(describeSeed(outcome, config, SETTINGS.dataDir.default));
  // A deactivated client's keys are refused (sign-in with its sk_, ingestion): the demo would look broken.
  if (!outcome.client.status) {
    process.stderr.write(
      `mythic: warning: the client '${outcome.client.id}' is deactivated, so its keys are refused; set its status to true (PATCH /api/v1/clients/${outcome.client.id})\n`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command !== 'serve' && command !== 'migrate' && command !== 'seed-demo' && command !== 'migrate-events') {
    process.stderr.write(`mythic: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  let config: Config | undefined;
  try {
    if (command === 'seed-demo') {
      const demo = takeDemoOptions(rest);
      config = loadConfig(demo.rest, process.env);
      await seedDemoCommand(config, demo.options);
      return 0;
    }
    if (command === 'migrate-events') {
      const args = takeMigrateEventsArgs(rest);
      // The target is validated as MYTHIC_CLICKHOUSE_URL is; the flag wins over the environment.
      config = loadConfig([...args.rest, '--clickhouse-url', args.to], process.env);
      // Loaded only for this command, like seed-demo.
      const { runMigrateEvents } = await import('./migrateEventsCommand.js');
      return await runMigrateEvents(config, args);
    }
    config = loadConfig(rest, process.env);
    if (command === 'migrate') {
      await migrate(config);
      return 0;
    }
    await serve(config);
    return -1;
  } catch (error) {
    process.stderr.write(`mythic: ${explain(error, config)}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

const code = await main(process.argv.slice(2));
// -1: the server is running; the process ends on a signal.
if (code >= 0) process.exit(code);
