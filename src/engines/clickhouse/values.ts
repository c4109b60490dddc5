/** Epoch ms as DateTime64 text: the one conversion of times on their way into ClickHouse. */
/** Epoch ms as the text a DateTime64(3, 'UTC') column reads from JSON: exact, whatever the server's zone. */
export const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
