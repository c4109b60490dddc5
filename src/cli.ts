#!/usr/bin/env node
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, SETTINGS, type Config } from './config.js';
import { resolveAdminKey, type AdminKey } from './keys/adminKey.js';
import { sha256Hex } from './keys/secrets.js';
import type { MetaStore } from './store/metaStore.js';
import { describeMetaStore, openMetaStore } from './store/openMetaStore.js';
import { VERSION } from './version.js';

const USAGE = `mythic ${VERSION}: self-hostable multi-tenant web analytics

Usage:
  mythic serve [options]     start the HTTP server (applies pending migrations first)
  mythic migrate [options]   apply pending migrations and exit
  mythic --version | --help

Options (each also read from the environment variable shown):
${Object.values(SETTINGS)
  .map((s) => `  --${s.flag.padEnd(14)} ${s.env.padEnd(20)} ${s.default === undefined ? '' : `default ${s.default}`}`)
  .join('\n')}
`;

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
  } else if (admin.source.kind === 'file' && admin.source.loosePermissions) {
    process.stderr.write(`mythic: warning: ${admin.source.path} is readable by other users; run chmod 600 on it\n`);
  }
}

/** Start-up failures the operator can fix, as one readable line. */
function explain(error: unknown, config: Config | undefined): string {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (error instanceof ConfigError) return error.message;
  if (e.code === 'EADDRINUSE') return `port ${config?.port} on ${config?.host} is already in use; choose another with PORT or --port`;
  if (e.code === 'EADDRNOTAVAIL') return `cannot listen on ${config?.host}: no such local address (HOST / --host)`;
  if (e.code === 'EACCES' && e.syscall === 'listen') return `not allowed to listen on port ${config?.port}; use a port above 1023`;
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === '28P01' || e.code === '3D000') {
    return `cannot use the database at ${config ? describeMetaStore(config) : 'MYTHIC_DATABASE_URL'}: ${e.message}`;
  }
  if (e.code === 'EACCES' || e.code === 'EROFS') return `cannot write to the data dir: ${e.message}`;
  return `failed to start: ${e.stack ?? String(error)}`;
}

async function serve(config: Config): Promise<void> {
  const admin = resolveAdminKey(config.adminKey, config.dataDir);
  const store = await openMetaStore(config);
  await store.migrate();
  const app = await buildApp({ store, adminKeyHash: sha256Hex(admin.key), logLevel: config.logLevel === 'silent' ? false : config.logLevel });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  announceAdminKey(admin, { ...config, port });
  process.stdout.write(`Mythic ${VERSION} listening on http://${config.host}:${port} (meta store: ${describeMetaStore(config)})\n`);
  stopOnSignals(app, store);
}

function stopOnSignals(app: FastifyInstance, store: MetaStore): void {
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, finishing requests in flight…\n`);
    await app.close();
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
    process.stdout.write(`Migrations applied (meta store: ${describeMetaStore(config)})\n`);
  } finally {
    await store.close();
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
  if (command !== 'serve' && command !== 'migrate') {
    process.stderr.write(`mythic: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  let config: Config | undefined;
  try {
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
