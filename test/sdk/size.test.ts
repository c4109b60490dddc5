import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { SDK_DIST_DIR } from '../../src/loader/sdkAssets.js';

// Budgets of the browser bundles, gzipped: every page of every client downloads them.
const BUDGETS = { 'core.js': 10 * 1024, 'loader.js': 4 * 1024 };

for (const [file, budget] of Object.entries(BUDGETS)) {
  it(`keeps dist/sdk/${file} within ${budget / 1024} KiB gzipped`, (t) => {
    const source = readFileSync(join(SDK_DIST_DIR, file));
    const gzipped = gzipSync(source, { level: 9 }).length;
    t.diagnostic(`${file}: ${source.length} bytes, ${gzipped} bytes gzipped (budget ${budget})`);
    assert.ok(gzipped <= budget, `${file} is ${gzipped} bytes gzipped, over its budget of ${budget}`);
  });
}
