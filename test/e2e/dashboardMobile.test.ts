import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT, stopAllServers } from '../helpers/server.js';
import { openDashboard } from './dashboardPage.js';
import { ADMIN_KEY, CHROMIUM_SKIP, launchChromium, startMythic, type MythicServer } from './harness.js';

const PHONE = { width: 375, height: 667 };

/** How far the page itself scrolls sideways (wide tables scroll inside their own box instead). */
const sidewaysOverflow = (page: Page): Promise<number> => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

describe('browser: the dashboard on a phone and with the keyboard only', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;

  before(async () => {
    [mythic, browser] = await Promise.all([startMythic(), launchChromium()]);
    await mythic.createClient({ id: 'a-client-with-a-rather-long-identifier', name: 'A client with a rather long name', domain: 'a-very-long-domain-name.example' });
  });
  after(async () => {
    await browser?.close();
    await mythic?.stop();
    await stopAllServers();
  });

  it('signs in, lists clients and opens analytics on a phone-sized screen without sideways scrolling', async () => {
    const dash = await openDashboard(browser, mythic.baseUrl, PHONE);
    const { page } = dash;
    try {
      await page.getByLabel('Admin key or client secret key').fill(ADMIN_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Clients' }).waitFor();
      await page.getByText('A client with a rather long name').waitFor();
      assert.equal(await sidewaysOverflow(page), 0, 'the client list fits the screen');
      const search = await page.getByRole('searchbox', { name: 'Search' }).boundingBox();
      assert.ok(search && search.width > PHONE.width / 2, 'the search box spans the screen');

      await page.goto(`${mythic.baseUrl}/#/clients/a-client-with-a-rather-long-identifier/analytics`);
      await page.locator('.kpi[data-metric="page_views"] .value').waitFor();
      await page.locator('.chart canvas').first().waitFor();
      assert.equal(await sidewaysOverflow(page), 0, 'the analytics page fits the screen');
      const chart = await page.locator('.chart').boundingBox();
      assert.ok(chart && chart.width <= PHONE.width, `the chart fits (${chart?.width}px)`);

      await page.goto(`${mythic.baseUrl}/#/clients/a-client-with-a-rather-long-identifier/tags`);
      await page.getByRole('button', { name: 'Save tags' }).waitFor();
      assert.equal(await sidewaysOverflow(page), 0, 'the tag editor fits the screen');
      mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
      await page.goto(`${mythic.baseUrl}/#/clients/a-client-with-a-rather-long-identifier/analytics`);
      await page.locator('.kpi[data-metric="page_views"] .value').waitFor();
      await page.screenshot({ path: join(REPO_ROOT, 'test-output', 'dashboard-phone.png') });
      assert.deepEqual(dash.problems, []);
    } finally {
      await dash.close();
    }
  });

  it('can be used with the keyboard alone, with a visible focus', async () => {
    const dash = await openDashboard(browser, mythic.baseUrl);
    const { page } = dash;
    try {
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate('document.activeElement.getAttribute("name")'), 'key', 'the first stop is the key field');
      await page.keyboard.type(ADMIN_KEY);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Clients' }).waitFor();

      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
      const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
      assert.notEqual(outline, 'none', 'the focused link shows a focus ring');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate('document.activeElement.id'), 'main');

      // Tab to the client's link and open it with Enter.
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate('document.activeElement.textContent')) === 'A client with a rather long name') break;
      }
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Save changes' }).waitFor();
      assert.deepEqual(dash.problems, []);
    } finally {
      await dash.close();
    }
  });
});
