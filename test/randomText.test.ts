import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE62, randomBase62, randomFrom } from '../src/shared/randomText.js';

describe('random text', () => {
  it('draws only from the alphabet, at the length asked, across many refills of the pool', () => {
    for (const length of [0, 1, 7, 12, 32]) assert.equal(randomBase62(length).length, length);
    const text = randomFrom('23456789abcdefghjkmnpqrstuvwxyz', 20_000);
    assert.match(text, /^[2-9a-hjkmnp-z]{20000}$/);
  });

  it('gives every character its share: no modulo bias toward the first ones', () => {
    // 62 does not divide 256: with `byte % 62`, the first 8 characters would come 5/4 as often.
    const draws = 620_000;
    const counts = new Map<string, number>();
    for (const char of randomBase62(draws)) counts.set(char, (counts.get(char) ?? 0) + 1);
    const expected = draws / 62;
    assert.equal(counts.size, 62);
    // 10,000 draws a character: one standard deviation is about 99 (1%), so 6% is six of them, never
    // reached by chance; `byte % 62` would give the first 8 characters 21% more than their share.
    for (const char of BASE62) assert.ok(Math.abs((counts.get(char) ?? 0) / expected - 1) < 0.06, `${char}: ${counts.get(char)} of ${expected}`);
  });

  it('never repeats a 12-character id in 100,000 draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(randomBase62(12));
    assert.equal(seen.size, 100_000);
  });
});
