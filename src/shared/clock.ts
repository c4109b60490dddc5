/** Milliseconds since the epoch. Injected so tests can move time (key grace periods, updated_at). */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
