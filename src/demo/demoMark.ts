import type { ClientRow } from '../store/metaStore.js';

/**
 * The mark seed-demo puts in the api_metadata of the client it creates. The id `demo` may belong to
 * a real customer; seed-demo replaces a client's events only when it finds its own mark (or is told
 * to with --force), so it never wipes a customer's data by accident.
 */
export const DEMO_MARK = { mythic_demo: true } as const;

export function isMarkedDemo(row: ClientRow): boolean {
  return row.api_metadata.mythic_demo === true;
}

/** A client with the demo id that seed-demo did not create: an operator's error, shown as one line. */
export class UnmarkedDemoClient extends Error {
  constructor(id: string) {
    super(
      `a client with id '${id}' exists and was not created by seed-demo; its events were left alone. ` +
        `Run seed-demo with --force to replace them with demo traffic anyway`,
    );
    this.name = 'UnmarkedDemoClient';
  }
}
