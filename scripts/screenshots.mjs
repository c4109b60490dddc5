// `npm run screenshots`: the README's pictures of the dashboard, made from the demo data so anyone
// can make them again. Seeds the demo client into a temporary data dir, starts the built server on
// a free loopback port, signs in with Chromium (playwright-core; /usr/bin/chromium, or the path in
// MYTHIC_CHROMIUM) and saves PNGs into docs/screenshots/, then stops the server and removes the
// data dir. Needs `npm run build` first (it runs dist/cli.js, as `npm start` does).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const outDir = join(root, 'docs', 'screenshots');
const chromiumPath = process.env.MYTHIC_CHROMIUM ?? '/usr/bin/chromium';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Headless Chromium's own user agent names it a bot; the pictures show a person's browser. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

function fail(message) {
  process.stderr.write(`screenshots: ${message}\n`);
  process.exit(1);
}

if (!existsSync(cli)) fail('dist/cli.js is missing: run `npm run build` first');
if (!existsSync(chromiumPath)) fail(`no Chromium at ${chromiumPath} (apt-get install chromium, or set MYTHIC_CHROMIUM)`);

const dataDir = mkdtempSync(join(tmpdir(), 'mythic-screenshots-'));
const adminKey = `mk_${randomBytes(16).toString('hex')}`;
const env = { ...process.env, MYTHIC_DATA_DIR: dataDir, MYTHIC_ADMIN_KEY: adminKey, MYTHIC_LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' };
for (const name of Object.keys(env)) if (name.startsWith('MYTHIC_') && !['MYTHIC_DATA_DIR', 'MYTHIC_ADMIN_KEY', 'MYTHIC_LOG_LEVEL', 'MYTHIC_GEOIP_DB'].includes(name)) delete env[name];

/** Starts `mythic serve` and resolves with its URL once it says it is listening. */
function startServer() {
  const child = spawn(process.execPath, [cli, 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 60 s:\n${output}`)), 60_000);
    const read = (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout.setEncoding('utf8').on('data', read);
    child.stderr.setEncoding('utf8').on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}):\n${output}`));
    });
  });
}

/**
 * Waits until nothing on the page is still loading (no "Loading…" text, placeholder or busy
 * region: on a busy machine the analytics cards take many seconds), then for the network to rest.
 */
async function settle(page, ms = 60_000) {
  const settled = () =>
    ![...document.querySelectorAll('.loading, .skeleton, [aria-busy="true"]')].some((el) => el.getClientRects().length > 0) &&
    !/Loading[^\n]*…/.test(document.body.innerText);
  const started = Date.now();
  await page.waitForFunction(settled, undefined, { timeout: ms, polling: 250 }).catch((error) => {
    process.stderr.write(`screenshots: still loading after ${Math.round((Date.now() - started) / 1000)} s (${error.message.split('\n')[0]}); saved as it was\n`);
  });
  await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(500);
}

async function shoot(browser, url, { viewport, colorScheme, path, file, fullPage = true }) {
  const context = await browser.newContext({ viewport, colorScheme, userAgent: USER_AGENT, deviceScaleFactor: viewport.width < 500 ? 2 : 1 });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.getByLabel('Admin key or client secret key').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${url}/#${path}`);
    await settle(page);
    await page.screenshot({ path: join(outDir, file), fullPage });
    process.stdout.write(`saved docs/screenshots/${file}\n`);
  } finally {
    await context.close();
  }
}

let server;
let browser;
try {
  process.stdout.write('seeding the demo client (about 35,000 events)…\n');
  const seeded = spawnSync(process.execPath, [cli, 'seed-demo'], { cwd: root, env, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seed-demo failed (${seeded.status}):\n${seeded.stdout}${seeded.stderr}`);
  server = await startServer();
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars'] });
  mkdirSync(outDir, { recursive: true });
  const analytics = '/clients/demo/analytics';
  const shots = [
    { path: analytics, viewport: DESKTOP, colorScheme: 'light', file: 'analytics-light.png' },
    { path: analytics, viewport: DESKTOP, colorScheme: 'dark', file: 'analytics-dark.png' },
    { path: analytics, viewport: PHONE, colorScheme: 'light', file: 'analytics-phone-light.png' },
    { path: analytics, viewport: PHONE, colorScheme: 'dark', file: 'analytics-phone-dark.png' },
    { path: '/clients', viewport: DESKTOP, colorScheme: 'light', file: 'clients.png', fullPage: false },
    { path: '/clients', viewport: PHONE, colorScheme: 'dark', file: 'clients-phone-dark.png', fullPage: false },
    { path: '/clients/demo/settings', viewport: DESKTOP, colorScheme: 'light', file: 'client-settings.png' },
  ];
  for (const shot of shots) await shoot(browser, server.url, shot);
} catch (error) {
  process.stderr.write(`screenshots: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  if (server) {
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
}
