import type { IdentityLink, StoredEvent } from '../events/eventStore.js';
import type { Erasure, JournalRecord, Provenance } from './journal.js';

/**
 * Which journal records are dropped instead of applied, and why. Two sources decide:
 *
 * - This node's own erasures (the journal's erasure file, kept across restarts): a hard delete
 *   here drops the client's records still in flight here, or replayed after a crash, even before
 *   the MetaStore forgets the client.
 * - The MetaStore, asked once per batch for the current life (created_at) of the batch's clients:
 *   several nodes share one EventStore, each with its own journal, so a hard delete on node A must
 *   not be undone by node B applying records of the erased life later. A record whose life is gone
 *   (client deleted, or deleted and created again) is dropped.
 *
 * Records without a Provenance (written by versions before lives, or without a request) are
 * judged by when they were received, against this node's erasures only.
 */

/** The current life of each client that exists (its created_at), as the MetaStore says. */
export type ClientLives = (clientIds: string[]) => Promise<Map<string, number>>;

/** The erasures of one client id, on this node. */
interface ErasedClient {
  /** Lives erased (their created_at): none of their records is applied. */
  lives: Set<number>;
  /** The latest erasure: records without a Provenance received up to then are dropped. */
  at: number;
  /** The latest erasure recorded without a life: records received up to then are dropped, whatever their life. */
  lifelessAt: number;
}

/** What of a group of records goes to the EventStore. */
export interface Kept {
  events: StoredEvent[];
  links: IdentityLink[];
  /** Records dropped whole because their life is gone. */
  droppedRecords: number;
}

/** When a link's event was received: the events of a record share one received_at. */
function receivedAtOf(record: JournalRecord, link: IdentityLink): number {
  return record.events.find((event) => event.client_id === link.client_id)?.received_at ?? link.created_at;
}

export class Erasures {
  private readonly erased = new Map<string, ErasedClient>();

  /** Remembers an erasure made here (now, or read back from the journal at start). */
  remember(erasure: Erasure): void {
    const known = this.erased.get(erasure.client_id) ?? { lives: new Set<number>(), at: -Infinity, lifelessAt: -Infinity };
    known.at = Math.max(known.at, erasure.at);
    if (erasure.life === undefined) known.lifelessAt = Math.max(known.lifelessAt, erasure.at);
    else known.lives.add(erasure.life);
    this.erased.set(erasure.client_id, known);
  }

  /**
   * What of `records` may be applied. `lives` is the MetaStore's answer for the records' clients
   * (absent when the writer has no MetaStore to ask: tests of the journal alone).
   */
  keep(records: JournalRecord[], lives: Map<string, number> | undefined): Kept {
    const kept: Kept = { events: [], links: [], droppedRecords: 0 };
    for (const record of records) {
      if (record.from !== undefined) {
        if (!this.keepsLife(record.from, lives)) {
          kept.droppedRecords++;
          continue;
        }
        kept.events.push(...record.events);
        kept.links.push(...record.links);
      } else {
        kept.events.push(...record.events.filter((event) => this.keepsReceived(event.client_id, event.received_at)));
        // A link is decided by when its event was received, like the event: its created_at is
        // the sender's timestamp (a backfill can be years old).
        kept.links.push(...record.links.filter((link) => this.keepsReceived(link.client_id, receivedAtOf(record, link))));
      }
    }
    return kept;
  }

  /**
   * A record of a known life is kept unless that very life was erased here, or is no longer the
   * client's in the MetaStore: a request authenticated for the old life just before the delete is
   * dropped even if it was received after it, and a new life's events are kept even if received
   * in the same millisecond as the erasure.
   */
  private keepsLife(from: Provenance, lives: Map<string, number> | undefined): boolean {
    if (lives !== undefined && lives.get(from.client_id) !== from.life) return false;
    const erased = this.erased.get(from.client_id);
    return erased === undefined || (!erased.lives.has(from.life) && from.received_at > erased.lifelessAt);
  }

  private keepsReceived(clientId: string, receivedAt: number): boolean {
    const erased = this.erased.get(clientId);
    return erased === undefined || receivedAt > erased.at;
  }
}

/** The clients whose lives the MetaStore is asked about for these records. */
export function clientsOf(records: JournalRecord[]): string[] {
  const ids = new Set<string>();
  for (const record of records) if (record.from !== undefined) ids.add(record.from.client_id);
  return [...ids];
}
