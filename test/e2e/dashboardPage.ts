import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { stopAllServers } from '../helpers/server.js';
import { ADMIN_KEY, launchChromium, newContext, startMythic, type MythicServer } from './harness.js';

/**
 * Shared steps of the dashboard's browser tests. Every page is watched for script errors and
 * Content-Security-Policy violations: the dashboard must run under its own strict policy.
 */
export interface DashboardPage {
  context: BrowserContext;
  page: Page;
  /** Script errors and CSP reports seen so far; a test ends by asserting it is empty. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * Retries `check` until it passes, for up to 10 s: the page redraws after a click returns (a choice
 * goes through the URL, a card reloads its answer), so what a click changes is read eventually.
 */
export async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function openDashboard(browser: Browser, baseUrl: string, viewport?: { width: number; height: number }): Promise<DashboardPage> {
  const context = await newContext(browser);
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${baseUrl}/`);
  return { context, page, problems, close: () => context.close() };
}

export async function signIn(page: Page, key: string = ADMIN_KEY): Promise<void> {
  await page.getByLabel('Admin key or client secret key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** What a dashboard suite's before() starts: a Mythic server and Chromium, side by side. */
export async function startMythicAndChromium(): Promise<{ mythic: MythicServer; browser: Browser }> {
  const [mythic, browser] = await Promise.all([startMythic(), launchChromium()]);
  return { mythic, browser };
}

/** Creates a client through the admin API and returns its secret key. */
export async function createClientSecret(mythic: MythicServer, fields: Record<string, unknown>): Promise<string> {
  const created = await mythic.admin<{ data: { secret_key: string } }>('POST', '/api/v1/clients', fields);
  return created.body.data.secret_key;
}

/** Sends events to /batch with a client's secret key, which keeps their past timestamps. */
export async function sendBatch(mythic: MythicServer, secretKey: string, batch: Record<string, unknown>[]): Promise<void> {
  const sent = await fetch(`${mythic.baseUrl}/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  assert.equal(sent.status, 200, await sent.text());
}

/** Opens the dashboard (at `viewport` if given) and signs in with the admin key. */
export async function openSignedIn(browser: Browser, baseUrl: string, viewport?: { width: number; height: number }): Promise<DashboardPage> {
  const dash = await openDashboard(browser, baseUrl, viewport);
  await signIn(dash.page);
  return dash;
}

/** A dashboard suite's after(): closes whatever before() got to start (a server already stopped is left out). */
export async function stopDashboardSuite(started: { dash?: DashboardPage; browser?: Browser; mythic?: MythicServer }): Promise<void> {
  await started.dash?.close();
  await started.browser?.close();
  await started.mythic?.stop();
  await stopAllServers();
}

/** The API's message shown under the labelled control. */
export async function fieldError(page: Page, label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  const described = await input.getAttribute('aria-describedby');
  assert.ok(described, `${label} has a description`);
  const errorId = described.split(' ').find((id) => id.endsWith('-error'));
  assert.ok(errorId, `${label} shows an error`);
  return (await page.locator(`#${errorId}`).innerText()).trim();
}

export interface ContrastReport {
  pageLuminance: number;
  min: number;
  worst: { text: string; ratio: number; fg: string; bg: string }[];
  checked: number;
}

/**
 * Walks every visible element holding text (and every control) and computes the contrast of its
 * colour against the background it is painted on (translucent layers blended down to the first
 * opaque one). A string, so the bundler's helpers never reach the page.
 */
const CONTRAST = `(() => {
  const parse = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c); if (!m) return null; const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const over = (top, under) => ({ r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let color = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const ratio = (a, b) => { const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x); return (hi + 0.05) / (lo + 0.05); };
  const results = [];
  for (const el of document.querySelectorAll('body *')) {
    if (['SCRIPT', 'STYLE', 'OPTION', 'NOSCRIPT'].includes(el.tagName)) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    const control = ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(el.tagName) && el.type !== 'checkbox' && el.type !== 'radio';
    if (!ownText && !control) continue;
    if (el.closest(':disabled') || el.closest('.skip')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    const bg = backgroundOf(el);
    const fg = over(parse(getComputedStyle(el).color), bg);
    results.push({ text: (el.textContent || el.value || el.tagName).trim().slice(0, 40), ratio: Math.round(ratio(fg, bg) * 100) / 100, fg: getComputedStyle(el).color, bg: JSON.stringify(bg) });
  }
  results.sort((a, b) => a.ratio - b.ratio);
  return { pageLuminance: lum(backgroundOf(document.body)), min: results[0] ? results[0].ratio : 0, worst: results.slice(0, 4), checked: results.length };
})()`;

export const contrast = (page: Page): Promise<ContrastReport> => page.evaluate<ContrastReport>(CONTRAST);

/** How far the page itself scrolls sideways (a wide table may scroll inside its own box instead). */
export const sidewaysOverflow = (page: Page): Promise<number> => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/** The page fits a 390 px phone without sideways scrolling, is dark, and every text has 4.5:1 contrast or more. */
export async function assertFitsDarkPhone(page: Page, name: string): Promise<void> {
  assert.equal(await sidewaysOverflow(page), 0, `the ${name} fits 390 px`);
  const seen = await contrast(page);
  assert.ok(seen.pageLuminance < 0.05, `the ${name} is dark`);
  assert.ok(seen.min >= 4.5, `${name}: lowest contrast ${seen.min}: ${JSON.stringify(seen.worst)}`);
}
