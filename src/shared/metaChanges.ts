/**
 * A counter of changes to the MetaStore made through this process, for caches of its rows: a
 * cache entry read under an older generation is stale. Bumped by the admin API on every write it
 * answers successfully (see app.ts), which is coarse on purpose: writes are rare, and a cache
 * that misses once after an unrelated change costs one lookup.
 */
export class MetaChanges {
  #generation = 0;

  get generation(): number {
    return this.#generation;
  }

  changed(): void {
    this.#generation += 1;
  }
}
