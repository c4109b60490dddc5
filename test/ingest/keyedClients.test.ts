import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientsService } from '../../src/clients/service.js';
import { KeyedClients } from '../../src/ingest/keyedClients.js';
import { KeysService } from '../../src/keys/service.js';
import { MetaChanges } from '../../src/shared/metaChanges.js';
import type { KeyMatch } from '../../src/store/metaStore.js';
import { SqliteMetaStore } from '../../src/store/sqlite/sqliteMetaStore.js';

/** A real SQLite store in which something else happens right after a key is looked up: the race, made certain. */
class StoreWithARace extends SqliteMetaStore {
  afterKeyLookup: (() => Promise<void>) | undefined;

  override async findKeyByHash(keyHash: string): Promise<KeyMatch | null> {
    const match = await super.findKeyByHash(keyHash);
    const race = this.afterKeyLookup;
    this.afterKeyLookup = undefined;
    await race?.();
    return match;
  }
}

describe('keyed clients', () => {
  it('refuses a key whose client was deleted and created again with the same id between its two lookups', async () => {
    const store = new StoreWithARace(':memory:');
    await store.migrate();
    let now = 1_700_000_000_000;
    const clock = () => (now += 1);
    const clients = new ClientsService(store, clock);
    const old = await clients.create({ id: 'twice', name: 'Twice' });
    const keyed = new KeyedClients(new KeysService(store, clock), store, new MetaChanges(), clock);
    store.afterKeyLookup = async () => {
      await clients.remove('twice', true);
      await clients.create({ id: 'twice', name: 'Twice again' });
    };
    assert.equal(await keyed.resolve(old.secret_key as string), null, 'the old life’s key does not authenticate for the new life');
    const fresh = await store.getClient('twice');
    assert.equal(fresh?.name, 'Twice again');
    assert.equal(await keyed.resolve(old.secret_key as string), null);
    await store.close();
  });
});
