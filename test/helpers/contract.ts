import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
  components?: { schemas?: Record<string, object> };
}

/**
 * Checks responses against the served OpenAPI document: the status must be documented for the
 * route, and the body must match the documented schema.
 */
export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly routes: { method: string; template: string; pattern: RegExp }[];
  /** How many responses were checked: a suite that checked none would prove nothing. */
  checked = 0;

  constructor(readonly doc: OpenApiDocument) {
    addFormats(this.ajv);
    // Our own format names are documentation for clients; only the shapes are checked here.
    for (const name of ['hostname', 'timezone', 'global-name', 'http-url', 'trimmed-name', 'safe-regex']) this.ajv.addFormat(name, true);
    this.ajv.addSchema({ $id: 'openapi.json', components: doc.components ?? {} });
    // Static segments win over parameters, as in Fastify's router (`/links/webhooks` is not the
    // link `webhooks`): routes with fewer parameters are tried first.
    const parameters = (template: string): number => (template.match(/\{/g) ?? []).length;
    this.routes = Object.entries(doc.paths)
      .sort(([a], [b]) => parameters(a) - parameters(b))
      .flatMap(([template, methods]) =>
        Object.keys(methods).map((method) => ({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        })),
      );
  }

  /** Throws with a readable reason when the response is not what the document promises. */
  check(method: string, url: string, status: number, body: unknown): void {
    // The server ignores a trailing slash (PostHog's SDKs send `/e/`, `/flags/`), and so does this.
    const path = (url.split('?')[0] as string).replace(/(.)\/$/, '$1');
    // As the router does, a static segment wins over a parameter: /links/webhooks is not /links/{id}.
    const route = this.routes
      .filter((r) => r.method === method && r.pattern.test(path))
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))[0];
    if (!route) {
      // Unknown routes are answered by the not-found handler, in the error envelope.
      this.validate('#/components/schemas/ErrorEnvelope', { $ref: 'openapi.json#/components/schemas/ErrorEnvelope' }, body, `${method} ${path} (no route)`);
      return;
    }
    const responses = this.doc.paths[route.template]?.[route.method.toLowerCase()]?.responses ?? {};
    const documented = responses[String(status)];
    if (!documented) throw new Error(`${method} ${route.template} answered ${status}, which the OpenAPI document does not list`);
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${method} ${route.template} ${status} has no JSON schema in the document`);
    this.validate(`${route.method} ${route.template} ${status}`, schema, body, `${method} ${path} → ${status}`);
  }

  private validate(key: string, schema: object, body: unknown, label: string): void {
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema) as object);
      this.cache.set(key, validate);
    }
    this.checked += 1;
    if (!validate(body)) {
      throw new Error(`${label}: response does not match the OpenAPI document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
    }
  }
}

/** Points the document's local references at the registered components. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : rewriteRefs(v)]),
    );
  }
  return value;
}

/**
 * A checker for the document the application serves, for tests that talk to a server process
 * over the network. The document depends on the code only, so an in-memory app provides it.
 */
export async function servedContract(): Promise<ContractChecker> {
  const { buildApp } = await import('../../src/app.js');
  const { SqliteMetaStore } = await import('../../src/store/sqlite/sqliteMetaStore.js');
  const { DuckDbEventStore } = await import('../../src/engines/duckdb/duckdbEventStore.js');
  const { sha256Hex } = await import('../../src/keys/secrets.js');
  const store = new SqliteMetaStore(':memory:');
  const events = await DuckDbEventStore.open(':memory:');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const journalDir = mkdtempSync(join(tmpdir(), 'mythic-contract-'));
  const app = await buildApp({ store, events, journalDir, adminKeyHash: sha256Hex('contract-document-key'), logLevel: false });
  const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: { authorization: 'Bearer contract-document-key' } });
  await app.close();
  await events.close();
  await store.close();
  rmSync(journalDir, { recursive: true, force: true });
  return new ContractChecker(res.json() as OpenApiDocument);
}
