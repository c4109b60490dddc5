import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { CheckRecord } from '../../src/uptime/monitorRow.js';
import { describeEachStore, storeOfSuite } from '../helpers/stores.js';
import { clientFields, linkRow } from '../helpers/rows.js';

const T0 = 1_800_000_000_000;
const SETTINGS = { interval_seconds: 60, timeout_seconds: 5 };

const record = (linkId: string, at: number, ok: boolean, extra: Partial<CheckRecord> = {}): CheckRecord => ({
  check: { link_id: linkId, checked_at: at, ok, status_code: ok ? 200 : 503, response_ms: 12, error: ok ? null : 'HTTP 503' },
  status: ok ? 'up' : 'unknown',
  consecutive_failures: ok ? 0 : 1,
  next_check_at: at + 60_000,
  ...extra,
});

describeEachStore('uptime store', (kind) => {
  const suite = storeOfSuite(kind);
  before(async () => {
    await suite.store.insertClient(clientFields('up-client'), []);
  });

  it('starts a monitor of an existing link only, due at once, and claims it for one owner until its lease ends', async () => {
    assert.equal(await suite.store.startMonitor('lnk_missing', SETTINGS, T0), null);
    assert.equal(await suite.store.getMonitor('lnk_missing'), null);
    await suite.store.insertLink(linkRow('lnk_claim', 'up-client'));
    const started = await suite.store.startMonitor('lnk_claim', SETTINGS, T0);
    assert.deepEqual(started, {
      link_id: 'lnk_claim',
      interval_seconds: 60,
      timeout_seconds: 5,
      active: true,
      status: 'unknown',
      consecutive_failures: 0,
      last_checked_at: null,
      last_response_ms: null,
      last_status_code: null,
      last_error: null,
      next_check_at: T0,
      lease_until: null,
      lease_owner: null,
      started_at: T0,
    });
    assert.deepEqual(await suite.store.claimDueMonitors(T0 - 1, 'a', 10_000, 10), [], 'not due yet');
    const [claimed, ...more] = await suite.store.claimDueMonitors(T0, 'a', 100_000, 10);
    assert.equal(more.length, 0);
    assert.equal(claimed?.destination_url, 'https://example.com/lnk_claim');
    assert.equal(claimed?.client_id, 'up-client');
    assert.equal(claimed?.slug, 'lnk_claim');
    assert.equal(claimed?.lease_owner, 'a');
    assert.equal(claimed?.lease_until, T0 + 100_000);
    assert.equal(claimed?.next_check_at, T0 + 60_000, 'a provisional next check one interval on');
    assert.deepEqual(await suite.store.claimDueMonitors(T0 + 70_000, 'b', 10_000, 10), [], 'the lease holds past the next due time');
    const reclaimed = await suite.store.claimDueMonitors(T0 + 100_000, 'b', 10_000, 10);
    assert.equal(reclaimed.length, 1, 'an expired lease (a node that died) frees the monitor');
    assert.equal(await suite.store.recordCheck('a', record('lnk_claim', T0 + 100_000, true), 500), false, 'the old owner’s late result is dropped');
    assert.equal(await suite.store.recordCheck('b', record('lnk_claim', T0 + 100_000, true), 500), true);
    const after = await suite.store.getMonitor('lnk_claim');
    assert.equal(after?.lease_owner, null);
    assert.equal(after?.status, 'up');
    assert.equal(after?.last_status_code, 200);
    assert.equal(after?.last_checked_at, T0 + 100_000);
    assert.equal(after?.next_check_at, T0 + 160_000);
    await suite.store.stopMonitor('lnk_claim');
  });

  it('claims at most the limit, the longest-due first', async () => {
    for (const [i, id] of ['lnk_lim1', 'lnk_lim2', 'lnk_lim3'].entries()) {
      await suite.store.insertLink(linkRow(id, null));
      await suite.store.startMonitor(id, SETTINGS, T0 + 1_000_000 - i);
    }
    const first = await suite.store.claimDueMonitors(T0 + 1_000_000, 'a', 10_000, 2);
    assert.deepEqual(first.map((m) => m.link_id).sort(), ['lnk_lim2', 'lnk_lim3']);
    assert.equal(first[0]?.client_id, null);
    const rest = await suite.store.claimDueMonitors(T0 + 1_000_000, 'a', 10_000, 2);
    assert.deepEqual(rest.map((m) => m.link_id), ['lnk_lim1']);
  });

  it('keeps the newest checks only, newest first', async () => {
    await suite.store.insertLink(linkRow('lnk_hist', null));
    await suite.store.startMonitor('lnk_hist', SETTINGS, T0);
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await suite.store.claimDueMonitors(T0 + i * 60_000, 'a', 10_000, 100)).some((m) => m.link_id === 'lnk_hist'), true);
      assert.equal(await suite.store.recordCheck('a', record('lnk_hist', T0 + i * 60_000, i % 2 === 0, { next_check_at: T0 + (i + 1) * 60_000 }), 3), true);
    }
    const checks = await suite.store.listChecks('lnk_hist', 10);
    assert.deepEqual(checks.map((c) => c.checked_at), [T0 + 240_000, T0 + 180_000, T0 + 120_000]);
    assert.deepEqual(checks.map((c) => c.ok), [true, false, true]);
    assert.deepEqual(checks[1], { link_id: 'lnk_hist', checked_at: T0 + 180_000, ok: false, status_code: 503, response_ms: 12, error: 'HTTP 503' });
    assert.equal((await suite.store.listChecks('lnk_hist', 1)).length, 1);
  });

  it('stops (keeping state and history), drops a result that arrives after the stop, and restarts afresh', async () => {
    await suite.store.insertLink(linkRow('lnk_stop', null));
    await suite.store.startMonitor('lnk_stop', SETTINGS, T0);
    await suite.store.claimDueMonitors(T0, 'a', 10_000, 100);
    await suite.store.recordCheck('a', record('lnk_stop', T0, false, { status: 'down', consecutive_failures: 3 }), 500);
    await suite.store.claimDueMonitors(T0 + 60_000, 'a', 10_000, 100);
    const stopped = await suite.store.stopMonitor('lnk_stop');
    assert.equal(stopped?.active, false);
    assert.equal(stopped?.status, 'down');
    assert.equal(await suite.store.recordCheck('a', record('lnk_stop', T0 + 60_000, true), 500), false, 'stopped meanwhile: not written');
    const kept = await suite.store.getMonitor('lnk_stop');
    assert.equal(kept?.lease_owner, null, 'the lease is freed all the same');
    assert.equal(kept?.status, 'down');
    assert.equal((await suite.store.listChecks('lnk_stop', 10)).length, 1);
    assert.equal((await suite.store.claimDueMonitors(T0 + 600_000, 'a', 10_000, 100)).some((m) => m.link_id === 'lnk_stop'), false, 'a stopped monitor is never due');
    assert.equal(await suite.store.stopMonitor('lnk_never'), null);

    const restarted = await suite.store.startMonitor('lnk_stop', { interval_seconds: 120, timeout_seconds: 10 }, T0 + 700_000);
    assert.equal(restarted?.active, true);
    assert.equal(restarted?.status, 'unknown');
    assert.equal(restarted?.consecutive_failures, 0);
    assert.equal(restarted?.next_check_at, T0 + 700_000);
    assert.equal(restarted?.started_at, T0 + 700_000);
    assert.equal((await suite.store.listChecks('lnk_stop', 10)).length, 1, 'the history stays');
  });

  it('frees the lease when a stopped monitor restarts, so a check still running from before records nothing stale', async () => {
    await suite.store.insertLink(linkRow('lnk_restart', null));
    await suite.store.startMonitor('lnk_restart', SETTINGS, T0);
    assert.equal((await suite.store.claimDueMonitors(T0, 'a', 100_000, 100)).some((m) => m.link_id === 'lnk_restart'), true);
    // Stopped and started again while owner a's check is still running.
    await suite.store.stopMonitor('lnk_restart');
    const restarted = await suite.store.startMonitor('lnk_restart', SETTINGS, T0 + 1_000);
    assert.deepEqual([restarted?.status, restarted?.lease_owner, restarted?.lease_until], ['unknown', null, null]);
    assert.equal(await suite.store.recordCheck('a', record('lnk_restart', T0 + 2_000, false, { status: 'down', consecutive_failures: 3 }), 500), false, 'the old check is dropped');
    const after = await suite.store.getMonitor('lnk_restart');
    assert.deepEqual([after?.status, after?.consecutive_failures, after?.last_checked_at], ['unknown', 0, null]);
    assert.equal((await suite.store.listChecks('lnk_restart', 10)).length, 0);
    // The fresh monitor is due at once, for any node.
    assert.equal((await suite.store.claimDueMonitors(T0 + 1_000, 'b', 10_000, 100)).some((m) => m.link_id === 'lnk_restart'), true);
  });

  it('re-configures a running monitor without resetting it, its next check no later than one new interval away', async () => {
    await suite.store.insertLink(linkRow('lnk_conf', null));
    await suite.store.startMonitor('lnk_conf', { interval_seconds: 3_600, timeout_seconds: 30 }, T0);
    await suite.store.claimDueMonitors(T0, 'a', 10_000, 100);
    await suite.store.recordCheck('a', record('lnk_conf', T0, false, { consecutive_failures: 1, next_check_at: T0 + 3_600_000 }), 500);
    const changed = await suite.store.startMonitor('lnk_conf', { interval_seconds: 60, timeout_seconds: 5 }, T0 + 1_000);
    assert.equal(changed?.interval_seconds, 60);
    assert.equal(changed?.timeout_seconds, 5);
    assert.equal(changed?.consecutive_failures, 1);
    assert.equal(changed?.started_at, T0);
    assert.equal(changed?.next_check_at, T0 + 61_000);
  });

  it('forgets the monitor and its history with the link, and with the link’s client', async () => {
    await suite.store.insertClient(clientFields('up-gone'), []);
    await suite.store.insertLink(linkRow('lnk_gone1', null));
    await suite.store.insertLink(linkRow('lnk_gone2', 'up-gone'));
    for (const id of ['lnk_gone1', 'lnk_gone2']) {
      await suite.store.startMonitor(id, SETTINGS, T0);
      await suite.store.claimDueMonitors(T0, 'a', 10_000, 100);
      await suite.store.recordCheck('a', record(id, T0, true), 500);
    }
    await suite.store.deleteLink('lnk_gone1');
    await suite.store.deleteClient('up-gone');
    for (const id of ['lnk_gone1', 'lnk_gone2']) {
      assert.equal(await suite.store.getMonitor(id), null);
      assert.deepEqual(await suite.store.listChecks(id, 10), []);
    }
  });
});
