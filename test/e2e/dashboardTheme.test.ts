import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { contrast, openDashboard, sidewaysOverflow, signIn, startMythicAndChromium, stopDashboardSuite } from './dashboardPage.js';
import { CHROMIUM_SKIP, type MythicServer } from './harness.js';

/**
 * Dark mode follows the system setting, and every text on the pages outside the analytics page
 * keeps a WCAG AA contrast (4.5:1) in both schemes; at 390 px (a phone) those pages do not scroll
 * sideways and a long client id is not squeezed to a letter per line.
 */

const LONG_ID = 'a-client-with-a-rather-long-identifier-that-goes-on';

describe('browser: dark mode and the 390 px layout', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let agencyId: string;

  before(async () => {
    ({ mythic, browser } = await startMythicAndChromium());
    const agency = await mythic.admin<{ data: { id: string } }>('POST', '/api/v1/agencies', { name: 'Northwind Digital', email: 'studio@northwind-digital.example' });
    agencyId = agency.body.data.id;
    await mythic.createClient({ id: LONG_ID, name: 'A client with a rather long name', domain: 'a-very-long-domain-name.example', agency_id: agencyId });
    await mythic.createClient({ id: 'paused', name: 'Paused shop', status: false });
  });
  after(() => stopDashboardSuite({ browser, mythic }));

  /** The views outside the analytics page, each with something to wait for; a dialog last. */
  const VIEWS: { name: string; path: string; ready: (page: Page) => Promise<void> }[] = [
    // The list's count is drawn one render before its rows, and an agency's heading before its clients' table: wait for the rows.
    {
      name: 'clients list',
      path: '/clients',
      ready: async (page) => {
        await page.getByText('2 clients', { exact: true }).waitFor();
        await page.locator('td code', { hasText: LONG_ID }).waitFor();
      },
    },
    { name: 'client settings', path: `/clients/${LONG_ID}/settings`, ready: (page) => page.getByRole('button', { name: 'Save changes' }).waitFor() },
    { name: 'client keys', path: `/clients/${LONG_ID}/keys`, ready: (page) => page.getByRole('cell', { name: 'Current', exact: true }).first().waitFor() },
    { name: 'agencies', path: '/agencies', ready: (page) => page.getByRole('link', { name: 'Northwind Digital' }).waitFor() },
    {
      name: 'agency',
      path: '',
      ready: async (page) => {
        await page.getByRole('heading', { name: 'Clients (1)' }).waitFor();
        await page.locator('td code', { hasText: LONG_ID }).waitFor();
      },
    },
  ];
  const pathOf = (view: (typeof VIEWS)[number]): string => (view.name === 'agency' ? `/agencies/${agencyId}` : view.path);

  for (const scheme of ['dark', 'light'] as const) {
    it(`keeps text at 4.5:1 or more in the ${scheme} scheme, which follows the system setting`, async () => {
      const dash = await openDashboard(browser, mythic.baseUrl);
      const { page } = dash;
      try {
        await page.emulateMedia({ colorScheme: scheme });
        const dark = (luminance: number): boolean => luminance < 0.05;
        const report = async (name: string): Promise<void> => {
          const seen = await contrast(page);
          assert.ok(seen.checked >= 3, `${name}: texts were found (${seen.checked})`);
          assert.equal(dark(seen.pageLuminance), scheme === 'dark', `${name}: the page is ${scheme} (luminance ${seen.pageLuminance.toFixed(3)})`);
          assert.ok(seen.min >= 4.5, `${name}: lowest contrast ${seen.min}: ${JSON.stringify(seen.worst)}`);
        };
        await page.getByLabel('Admin key or client secret key').waitFor();
        await report('sign-in');
        await signIn(page);
        for (const view of VIEWS) {
          await page.goto(`${mythic.baseUrl}/#${pathOf(view)}`);
          await view.ready(page);
          await report(view.name);
        }
        // Form controls follow the scheme too (color-scheme), and so does a dialog.
        assert.equal(await page.evaluate('getComputedStyle(document.documentElement).colorScheme'), 'light dark');
        await page.getByRole('button', { name: 'Delete agency…' }).click();
        await page.getByRole('dialog', { name: 'Delete this agency?' }).waitFor();
        await report('dialog');
        assert.deepEqual(dash.problems, []);
      } finally {
        await dash.close();
      }
    });
  }

  it('fits 390 px without sideways scrolling, a long id breaking only where it must', async () => {
    const dash = await openDashboard(browser, mythic.baseUrl, { width: 390, height: 844 });
    const { page } = dash;
    try {
      await signIn(page);
      for (const view of VIEWS) {
        await page.goto(`${mythic.baseUrl}/#${pathOf(view)}`);
        await view.ready(page);
        assert.equal(await sidewaysOverflow(page), 0, `the ${view.name} fits 390 px`);
        if (view.name === 'clients list' || view.name === 'agency') {
          const id = page.locator('td code', { hasText: LONG_ID });
          const box = await id.boundingBox();
          const lineHeight = await page.evaluate<number>(`parseFloat(getComputedStyle(document.querySelector('td code')).lineHeight) || 20`);
          assert.ok(box && box.width >= 180, `the id has room (${box?.width}px wide)`);
          assert.ok(box && box.height <= lineHeight * 3.2, `the id takes at most 3 lines (${box?.height}px at ${lineHeight}px a line)`);
        }
      }
      assert.deepEqual(dash.problems, []);
    } finally {
      await dash.close();
    }
  });
});
