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
