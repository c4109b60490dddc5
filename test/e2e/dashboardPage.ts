import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_KEY, newContext } from './harness.js';

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

/** The API's message shown under the labelled control. */
export async function fieldError(page: Page, label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  const described = await input.getAttribute('aria-describedby');
  assert.ok(described, `${label} has a description`);
  const errorId = described.split(' ').find((id) => id.endsWith('-error'));
  assert.ok(errorId, `${label} shows an error`);
  return (await page.locator(`#${errorId}`).innerText()).trim();
}
