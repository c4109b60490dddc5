/**
 * The one case rule of the `contains` filter, written once so both engines apply the same (the
 * model in test/query/engineAgreement.test.ts writes it out on its own): lower-case every letter with Unicode's lowercase mapping (`İ` becomes `i̇`, i
 * and a combining dot), then write final sigma `ς` as `σ` and `i̇` as `i`. Each engine's own lower
 * alone disagrees on exactly these: DuckDB's `lower` maps one code point at a time (`Σ` is always
 * `σ`, `İ` is `i`) and its Unicode tables predate the capitals added in Unicode 16, while
 * ClickHouse's `lowerUTF8` and JavaScript's `toLowerCase` make a word's last `Σ` a `ς` and `İ` two
 * characters. Probed over every code point from U+0080 to U+1FFFF (with the DuckDB and chDB this
 * package installs, on Node 20).
 */

/** Capitals DuckDB's `lower` leaves unchanged (added in Unicode 16), and their lowercase forms. */
const UNICODE_16_CAPITALS: number[] = [
  0x1c89, 0xa7cb, 0xa7cc, 0xa7ce, 0xa7d2, 0xa7d4, 0xa7da, 0xa7dc,
  ...Array.from({ length: 22 }, (_, i) => 0x10d50 + i), // Garay
  ...Array.from({ length: 25 }, (_, i) => 0x16ea0 + i), // Kirat Rai
];
export const UNICODE_16_UPPER = String.fromCodePoint(...UNICODE_16_CAPITALS);
export const UNICODE_16_LOWER = [...UNICODE_16_UPPER].map((c) => c.toLowerCase()).join('');

export const FINAL_SIGMA = 'ς';
export const SIGMA = 'σ';
/** What `İ` lowers to outside DuckDB: i and U+0307 COMBINING DOT ABOVE. */
export const DOTTED_I = 'i\u0307';

/** `text` under the contains rule: the needle is folded here, the engines fold each value in SQL alike. */
export const foldCase = (text: string): string => text.toLowerCase().replaceAll(FINAL_SIGMA, SIGMA).replaceAll(DOTTED_I, 'i');

/**
 * Which of the folds after lowering can change whether a value holds the folded `needle`; the
 * others are left out of the SQL, as each costs a pass over every value (DuckDB's translate took
 * 3–5 s over 1M values, against 0.1 s for the plain lower; a replace adds about 25 ms). A fold that maps one character to
 * another matters only if the needle holds the result; `i̇`→`i` also drops U+0307, so it matters
 * when the needle holds `i` or U+0307.
 */
export function foldsFor(needle: string): { sigma: boolean; dottedI: boolean; unicode16: boolean } {
  return {
    sigma: needle.includes(SIGMA),
    dottedI: needle.includes('i') || needle.includes('\u0307'),
    unicode16: [...needle].some((c) => UNICODE_16_LOWER.includes(c)),
  };
}
