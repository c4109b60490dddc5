import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CLICKHOUSE_MIGRATIONS } from '../../src/engines/clickhouse/migrations.js';
import { createDatabase, createLedger } from '../../src/engines/clickhouse/schema.js';

/* chDB has no cluster, so the ON CLUSTER form is checked as the statements a cluster would receive. */
const statements = (cluster?: string): string[] => {
  const target = { database: 'analytics', cluster };
  return [createDatabase(target), createLedger(target), ...CLICKHOUSE_MIGRATIONS.flatMap((m) => m.statements(target, { freshDatabase: true }))];
};

/**
 * Two nodes may run one step at once: every column or index an ALTER adds must be IF NOT EXISTS
 * (building an index for stored parts, MATERIALIZE INDEX, may run twice as it is).
 */
function idempotentAlter(statement: string): void {
  if (!statement.startsWith('ALTER')) return;
  if (/ MATERIALIZE INDEX \w+$/.test(statement)) return;
  const adds = statement.match(/ADD (COLUMN|INDEX)/g) ?? [];
  assert.ok(adds.length > 0, statement);
  assert.equal((statement.match(/ADD (COLUMN|INDEX) IF NOT EXISTS/g) ?? []).length, adds.length, statement);
}

/** Data a step writes (the rollups' start): one INSERT, which a Replicated table hands to every replica. */
const isInsert = (statement: string): boolean => statement.startsWith('INSERT INTO analytics.');

it('with a cluster name, every DDL statement runs ON CLUSTER and every table is Replicated', () => {
  const all = statements('main');
  assert.ok(all.some(isInsert), 'the rollups start is recorded by an insert');
  for (const statement of all) {
    if (isInsert(statement)) continue;
    assert.match(statement, /^(CREATE (DATABASE|TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE) analytics(\.\w+)? ON CLUSTER main\b/, statement);
    idempotentAlter(statement);
    if (statement.startsWith('CREATE TABLE')) assert.match(statement, /ENGINE = Replicated(Replacing|Summing)?MergeTree\b/, statement);
  }
});

it('without one, plain idempotent statements and local engines', () => {
  for (const statement of statements()) {
    if (isInsert(statement)) continue;
    assert.match(statement, /^(CREATE (DATABASE|TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE) /, statement);
    idempotentAlter(statement);
    assert.doesNotMatch(statement, /ON CLUSTER|Replicated/, statement);
  }
});
