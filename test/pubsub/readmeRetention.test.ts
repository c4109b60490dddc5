// The README's Pub/Sub promises that name numbers say what the code does: the dead-letter
// retention and the push takeover after a node stops mid-batch (lease, then the messages' own
// lease of max(ack deadline, 2 × request timeout)). Reads the file only: no server.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { DEFAULT_DEAD_LETTER_OPTIONS } from '../../src/pubsub/deadLetterSweep.js';
import { DEFAULT_PUSH_OPTIONS } from '../../src/pubsub/pushDispatcher.js';
import { REPO_ROOT } from '../helpers/server.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
const DAY = 24 * 60 * 60 * 1000;

it('README: dead letters are kept 7 days and 10,000 per subscription, swept once a minute', () => {
  assert.equal(DEFAULT_DEAD_LETTER_OPTIONS.retentionMs, 7 * DAY);
  assert.equal(DEFAULT_DEAD_LETTER_OPTIONS.maxDeadLetters, 10_000);
  assert.equal(DEFAULT_DEAD_LETTER_OPTIONS.intervalMs, 60_000);
  assert.match(README, /Dead letters are kept 7 days after they died and at most 10,000 per subscription \(beyond that the oldest go first\), swept once a minute/);
});

it('README: a batch in flight on a node that stops waits for the push lease, then the messages’ own lease', () => {
  assert.equal(DEFAULT_PUSH_OPTIONS.leaseMs, 60_000);
  assert.equal(DEFAULT_PUSH_OPTIONS.timeoutMs, 10_000);
  assert.match(README, /holds the subscription until its push lease runs out \(60 seconds after the node took it\)/);
  assert.match(README, /`ack_deadline_seconds`, or twice the 10-second request timeout \(20 seconds\) when that is longer/);
  assert.doesNotMatch(README, /sent again by another once its ack deadline has passed/);
});
