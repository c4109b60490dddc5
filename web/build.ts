/**
 * Bundles the dashboard with esbuild into dist/web: index.html (never cached) and assets/ whose
 * names carry a content hash (cached for a year). The analytics and links views, with the chart
 * library, and the operator's Pub/Sub and MCP pages are separate chunks loaded when first opened,
 * so signing in and the client pages load less.
 * Run with `npm run build:web`; prints the gzip size of what `/` loads and of what each lazily
 * loaded view adds.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'web');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

rmSync(outDir, { recursive: true, force: true });
mkdirSync(join(outDir, 'assets'), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { app: 'web/src/main.tsx', style: 'web/src/styles.css' },
  outdir: join(outDir, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  metafile: true,
  define: { __MYTHIC_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const entryFile = (entry: string): string => {
  const found = outputs.find(([, output]) => output.entryPoint === entry);
  if (!found) throw new Error(`esbuild produced no output for ${entry}`);
  return basename(found[0]);
};
const script = entryFile('web/src/main.tsx');
const style = entryFile('web/src/styles.css');

const index = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mythic</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"><noscript>The Mythic dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;
writeFileSync(join(outDir, 'index.html'), index);

/** What a first visit to `/` downloads: the page, its stylesheet and the entry script with its static imports. */
const firstLoad = ['index.html', `assets/${style}`, `assets/${script}`];
const entryImports = result.metafile.outputs[`dist/web/assets/${script}`]?.imports ?? [];
for (const imported of entryImports) if (imported.kind === 'import-statement') firstLoad.push(`assets/${basename(imported.path)}`);
const gzipOf = (files: string[]): number => files.reduce((sum, file) => sum + gzipSync(readFileSync(join(outDir, file)), { level: 9 }).length, 0);
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
process.stdout.write(`built dist/web (first load ${kib(gzipOf(firstLoad))} gzip: ${firstLoad.join(', ')})\n`);

/** A chunk and everything it imports statically, as output paths (dist/web/assets/…). */
function closure(path: string, seen = new Set<string>()): Set<string> {
  if (seen.has(path)) return seen;
  seen.add(path);
  for (const imported of result.metafile.outputs[path]?.imports ?? []) if (imported.kind === 'import-statement') closure(imported.path, seen);
  return seen;
}
// What opening each lazily loaded view adds to the first load (the chart library counted in each
// view that needs it, though a browser fetches a shared chunk once).
const lazyViews = new Set<string>();
for (const path of closure(`dist/web/assets/${script}`)) for (const imported of result.metafile.outputs[path]?.imports ?? []) if (imported.kind === 'dynamic-import') lazyViews.add(imported.path);
for (const view of lazyViews) {
  const added = [...closure(view)].map((path) => `assets/${basename(path)}`).filter((file) => !firstLoad.includes(file));
  process.stdout.write(`  lazy ${basename(view).replace(/-[A-Z0-9]+\.js$/, '')}: ${kib(gzipOf(added))} gzip\n`);
}
