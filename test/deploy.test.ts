/**
 * deploy/compose.yaml and deploy/Dockerfile cannot be run here (no Docker on the CI machine), so
 * this checks what can go stale without Docker: every variable the compose file gives Mythic is a
 * setting the config reads and accepts as written, the commands and the health check it runs work
 * against a real server, the proxy points at the nodes, and the Dockerfile does what the README says.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadConfig, SETTINGS } from '../src/config.js';
import { REPO_ROOT, runCli, startServer, stopAllServers } from './helpers/server.js';

const run = promisify(execFile);
const DEPLOY = join(REPO_ROOT, 'deploy');
const COMPOSE_TEXT = readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8');
const DOCKERFILE = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  engines: { node: string };
};

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  configs?: { source: string; target: string }[];
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
  volumes: Record<string, unknown>;
}

/** Compose's own YAML: anchors and `<<` merge keys included. */
const COMPOSE = parse(COMPOSE_TEXT, { merge: true }) as Compose;

/** The values deploy/env.example gives, read as `docker compose --env-file` reads them. */
const EXAMPLE_ENV = Object.fromEntries(
  readFileSync(join(DEPLOY, 'env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?error}` (a missing required one throws). */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind: string | undefined, rest: string) => {
    const set = env[name];
    if (set !== undefined && set !== '') return set;
    if (kind === '-') return rest;
    throw new Error(`${name} is required: ${rest}`);
  });
}

/** The services that run the Mythic image built from deploy/Dockerfile. */
const mythicServices = Object.entries(COMPOSE.services).filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');
const servingNodes = mythicServices.filter(([, s]) => s.command?.[0] === 'serve');

/** The section of the README that the deployment belongs to. */
function scalingOut(): string {
  const start = README.indexOf('## Scaling out');
  assert.ok(start >= 0, 'README has a "Scaling out" section');
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

describe('deploy/compose.yaml', () => {
  after(stopAllServers);

  it('runs two Mythic nodes, a migration step, PostgreSQL, ClickHouse 24.8 or newer and a proxy', () => {
    assert.equal(servingNodes.length, 2, 'two serving nodes');
    assert.deepEqual(
      mythicServices.filter(([, s]) => s.command?.[0] === 'migrate').map(([name]) => name),
      ['migrate'],
    );
    assert.match(COMPOSE.services.postgres?.image ?? '', /^postgres:(\d+)/);
    assert.ok(Number(/^postgres:(\d+)/.exec(COMPOSE.services.postgres?.image ?? '')?.[1]) >= 15, 'PostgreSQL 15+ as the README requires');
    const clickhouse = /^clickhouse\/clickhouse-server:(\d+)\.(\d+)/.exec(COMPOSE.services.clickhouse?.image ?? '');
    assert.ok(clickhouse, 'the official ClickHouse server image with a pinned version');
    const [major, minor] = [Number(clickhouse[1]), Number(clickhouse[2])];
    assert.ok(major > 24 || (major === 24 && minor >= 8), 'ClickHouse 24.8 LTS or newer');
    for (const [name, node] of servingNodes) {
      assert.equal(node.depends_on?.migrate?.condition, 'service_completed_successfully', `${name} starts after the migrations`);
      assert.equal(node.ports, undefined, `${name} is reached only through the proxy`);
    }
  });

  it('gives Mythic only variables its config reads, with values it accepts', () => {
    const known = new Set<string>(Object.values(SETTINGS).map((s) => s.env));
    for (const [name, service] of mythicServices) {
      const environment = service.environment ?? {};
      const unknown = Object.keys(environment).filter((key) => !known.has(key));
      assert.deepEqual(unknown, [], `${name} sets only settings src/config.ts reads`);
      const env = Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, interpolate(String(value), EXAMPLE_ENV)]));
      const config = loadConfig([], env);
      assert.equal(config.host, '0.0.0.0', 'listens beyond loopback inside its container');
      assert.ok(config.databaseUrl?.startsWith('postgres://'), 'tenants in the shared PostgreSQL');
      assert.ok(config.clickhouseUrl?.startsWith('http://'), 'events in the shared ClickHouse');
      assert.equal(new URL(config.databaseUrl ?? '').hostname, 'postgres');
      assert.equal(new URL(config.clickhouseUrl ?? '').hostname, 'clickhouse');
      assert.equal(new URL(config.clickhouseUrl ?? '').port, '8123', "ClickHouse's HTTP port");
      assert.ok(config.adminKey !== undefined, 'one admin key shared by every node');
      assert.ok(config.keepAliveTimeoutMs > 30_000, 'nodes keep idle connections longer than the proxy (keepalive 30s)');
      assert.notEqual(config.trustProxy, false, 'the proxy is believed about visitor addresses');
    }
  });

  it('requires every secret it uses, and deploy/env.example names each one', () => {
    const required = new Set([...COMPOSE_TEXT.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1] as string));
    assert.ok(required.has('MYTHIC_ADMIN_KEY') && required.has('POSTGRES_PASSWORD') && required.has('CLICKHOUSE_PASSWORD'));
    for (const name of required) assert.ok(EXAMPLE_ENV[name], `env.example sets ${name}`);
    // Without a value compose must refuse to start rather than run with an empty password.
    assert.throws(() => interpolate(String(COMPOSE.services.postgres?.environment?.POSTGRES_PASSWORD), {}), /POSTGRES_PASSWORD is required/);
    // The same password on both sides of each connection.
    const node = servingNodes[0]?.[1].environment ?? {};
    const env = { ...EXAMPLE_ENV, POSTGRES_PASSWORD: 'pg-secret', CLICKHOUSE_PASSWORD: 'ch-secret' };
    assert.equal(decodeURIComponent(new URL(interpolate(String(node.MYTHIC_DATABASE_URL), env)).password), 'pg-secret');
    assert.equal(decodeURIComponent(new URL(interpolate(String(node.MYTHIC_CLICKHOUSE_URL), env)).password), 'ch-secret');
    assert.equal(interpolate(String(COMPOSE.services.clickhouse?.environment?.CLICKHOUSE_PASSWORD), env), 'ch-secret');
  });

  it('gives each node a data dir of its own (its journal), kept in a named volume', () => {
    const dirs = mythicServices.map(([name, service]) => {
      const dataDir = service.environment?.MYTHIC_DATA_DIR;
      const mount = service.volumes?.find((v) => v.endsWith(`:${dataDir}`));
      assert.ok(mount, `${name} mounts a volume at its data dir ${dataDir}`);
      const volume = mount.split(':')[0] as string;
      assert.ok(volume in COMPOSE.volumes, `${name}'s data dir is the named volume ${volume}`);
      return volume;
    });
    assert.equal(new Set(dirs).size, dirs.length, 'no two nodes share a data dir');
  });

  it('puts the proxy in front of exactly the serving nodes, on the port they listen on', () => {
    const proxy = COMPOSE.services.proxy;
    assert.ok(proxy?.ports?.length, 'the proxy publishes a port');
    const caddyfile = COMPOSE.configs[proxy.configs?.[0]?.source ?? '']?.content ?? '';
    const upstreams = /reverse_proxy\s+([^{\n]+)/.exec(caddyfile)?.[1]?.trim().split(/\s+/) ?? [];
    assert.deepEqual(
      upstreams.sort(),
      servingNodes.map(([name, s]) => `${name}:${s.environment?.PORT}`).sort(),
    );
    assert.match(caddyfile, /health_uri \/healthz/);
    for (const [name] of servingNodes) assert.equal(proxy.depends_on?.[name]?.condition, 'service_healthy');
  });

  it('runs commands the mythic binary has', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--help'], { cwd: REPO_ROOT });
    for (const [name, service] of mythicServices) {
      const command = service.command?.[0] ?? '';
      assert.match(stdout, new RegExp(`^  mythic ${command} `, 'm'), `${name} runs 'mythic ${command}', which --help lists`);
    }
    // And `migrate` runs as written with the data dir the compose file gives it (the shared stores aside).
    const dataDir = mkdtempSync(join(tmpdir(), 'mythic-deploy-'));
    try {
      const migrated = await runCli('migrate', { dataDir });
      assert.equal(migrated.code, 0, migrated.stderr);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("checks a node's health with a command that passes on a running server and fails on a stopped one", async () => {
    const test = servingNodes[0]?.[1].healthcheck?.test ?? [];
    assert.deepEqual(test.slice(0, 3), ['CMD', 'node', '-e']);
    const script = test[3] as string;
    assert.match(script, /http:\/\/127\.0\.0\.1:8080\/healthz/);
    const dataDir = mkdtempSync(join(tmpdir(), 'mythic-deploy-'));
    try {
      const server = await startServer({ dataDir });
      const probe = async (): Promise<number> => {
        try {
          await run(process.execPath, ['-e', script.replace('http://127.0.0.1:8080', server.baseUrl)]);
          return 0;
        } catch (error) {
          return (error as { code: number }).code;
        }
      };
      assert.equal(await probe(), 0, 'healthy while serving');
      server.kill('SIGTERM');
      await server.waitForExit();
      assert.equal(await probe(), 1, 'unhealthy once stopped');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('deploy/Dockerfile', () => {
  const steps = [...DOCKERFILE.matchAll(/^RUN (npm .+)$/gm)].map((m) => m[1] as string);

  it("builds with the README's steps and runs the package's binary", () => {
    assert.deepEqual(steps.slice(0, 2), ['npm ci', 'npm run build']);
    for (const step of steps) {
      const script = /^npm run (\S+)/.exec(step)?.[1];
      if (script !== undefined) assert.ok(PACKAGE.scripts[script], `package.json has the script ${script}`);
    }
    const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(DOCKERFILE)?.[1] ?? '[]') as string[];
    const command = JSON.parse(/^CMD (.+)$/m.exec(DOCKERFILE)?.[1] ?? '[]') as string[];
    assert.deepEqual(entrypoint, ['node', PACKAGE.bin.mythic]);
    assert.deepEqual(command, ['serve']);
    const section = scalingOut();
    for (const step of ['npm ci', 'npm run build', `${entrypoint.join(' ')} ${command.join(' ')}`]) {
      assert.ok(section.includes(step), `README's "Scaling out" says the image runs ${step}`);
    }
  });

  it('builds on a Node version the package supports', () => {
    const versions = [...DOCKERFILE.matchAll(/^FROM node:(\d+)/gm)].map((m) => m[1] as string);
    assert.ok(versions.length >= 1);
    const majors = [...PACKAGE.engines.node.matchAll(/\^(\d+)\./g)].map((m) => m[1]);
    for (const version of versions) assert.ok(majors.includes(version), `node ${version} is in engines (${PACKAGE.engines.node})`);
  });
});
