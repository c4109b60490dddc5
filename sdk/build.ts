/**
 * Bundles the browser SDK with esbuild: dist/sdk/core.js (the SDK proper) and dist/sdk/loader.js
 * (the runtime the server wraps into each client's /s/<pk>.js). Run with `npm run build:sdk`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

const bundles = [
  { entry: 'sdk/src/core/index.ts', out: 'dist/sdk/core.js' },
  { entry: 'sdk/src/loader.ts', out: 'dist/sdk/loader.js' },
];

for (const bundle of bundles) {
  await build({
    absWorkingDir: root,
    entryPoints: [bundle.entry],
    outfile: bundle.out,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2018',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    define: { __MYTHIC_VERSION__: JSON.stringify(version) },
    logLevel: 'warning',
  });
}
process.stdout.write(`built ${bundles.map((b) => b.out).join(', ')}\n`);
