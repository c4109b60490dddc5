import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { assertFitsDarkPhone, fieldError, openDashboard, openSignedIn, signIn, stopDashboardSuite, type DashboardPage } from './dashboardPage.js';
import { CHROMIUM_SKIP, html, launchChromium, newContext, startMythic, startSite, type MythicServer, type Site, type StoredEventView } from './harness.js';

/**
 * The Links page in Chromium, end to end: a link created in the page, its short URL with
 * `?utm_source=newsletter` clicked on a page of another origin, the landing page of the client's
 * site (running the client's loader) reached with the UTM parameters and the click id `mlc`, and
 * then the click in the link's numbers, `newsletter` in the client's Sources and the landing visit
 * credited to the link (link_id); the operator sees the link's webhook deliveries and starts its
 * uptime monitor. Then edit (a password), a taken slug refused at its field, delete with
 * confirmation, both views on a phone in dark mode, and a client's own key.
 */

type Cell = string | number | null;
interface QueryData {
  columns: string[];
  rows: Cell[][];
}
type EventWithLink = StoredEventView & { link_id?: string | null };

const CLIENT = 'linkshop';

describe('browser: the Links page creates a short link whose click lands on the site and is counted', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let site: Site;
  let dash: DashboardPage;
  /** What the page on another origin links to: set once the short URL is known. */
  let outboundHref = '';
  let secretKey = '';

  before(async () => {
    let publishable = '';
    [mythic, browser, site] = await Promise.all([
      startMythic(),
      launchChromium(),
      startSite((host, path) => {
        if (host === 'elsewhere.localhost') return html({ loaders: [], title: 'A newsletter', body: `<p><a id="go" href="${outboundHref}">Spring sale</a></p>` });
        if (host === 'shop.localhost' && path === '/landing') return html({ loaders: [`${mythic.baseUrl}/s/${publishable}.js`], title: 'Landing' });
        return null;
      }),
    ]);
    const created = await mythic.admin<{ data: { publishable_key: string; secret_key: string } }>('POST', '/api/v1/clients', {
      id: CLIENT,
      name: 'Link Shop',
      domain: 'shop.localhost',
      global_name: 'linkshop',
      timezone: 'UTC',
    });
    ({ publishable_key: publishable, secret_key: secretKey } = created.body.data);
    // A webhook to a host that does not resolve (.example is reserved): its deliveries wait and fail, visibly.
    const webhook = await mythic.admin('POST', '/api/v1/links/webhooks', { url: 'https://hooks.example/mythic', events: ['link.created', 'uptime.down'] });
    assert.equal(webhook.status, 201, JSON.stringify(webhook.body));
    dash = await openSignedIn(browser, mythic.baseUrl);
  });
  after(async () => {
    await site?.close();
    await stopDashboardSuite({ dash, browser, mythic });
  });

  it('creates a link, follows its campaign URL from another origin and shows the click everywhere', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/${CLIENT}`);
    await page.getByRole('link', { name: 'Links', exact: true }).click();
    await page.getByRole('heading', { name: 'Links', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New link' }).click();
    const destination = site.url('shop.localhost', '/landing');
    await page.getByLabel('Destination URL').fill(destination);
    await page.getByLabel('Slug', { exact: true }).fill('Spring-News');
    await page.getByLabel('Title').fill('Spring newsletter');
    await page.getByLabel('Tags').fill('newsletter, spring');
    await page.getByRole('button', { name: 'Create link' }).click();
    const row = page.locator('tr[data-slug="Spring-News"]');
    await row.waitFor();
    const shortUrl = (await row.locator('.short-url code').innerText()).trim();
    assert.equal(shortUrl, `${mythic.baseUrl}/l/Spring-News`, 'without a links host, the short URL is on the public origin under /l/');
    assert.match(await row.innerText(), /newsletter[\s\S]*spring/);
    const linkId = await row.getAttribute('data-link');
    assert.match(linkId ?? '', /^lnk_[0-9A-Za-z]{12}$/);

    // The link's page builds the campaign URL and its QR code.
    await row.getByRole('link', { name: 'Spring newsletter' }).click();
    await page.getByLabel('UTM source').fill('newsletter');
    const campaignUrl = `${shortUrl}?utm_source=newsletter`;
    await page.locator(`[data-testid="campaign-url"]:text-is("${campaignUrl}")`).waitFor();
    assert.equal(await page.locator('.qr img').getAttribute('data-url'), campaignUrl);
    assert.match((await page.locator('.qr a').getAttribute('href')) ?? '', /^data:image\/svg\+xml/);
    assert.equal(await page.locator('.qr a').getAttribute('download'), 'Spring-News-qr.svg');
    // The operator's view: the webhook heard of the link's creation; monitoring starts from here.
    await page.locator('.webhook .deliveries li', { hasText: 'link.created' }).waitFor();
    await page.getByRole('button', { name: 'Start monitoring' }).click();
    await page.locator('.uptime .facts[data-active="true"]').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Stop monitoring' }).count(), 1);

    // A visitor clicks it in a newsletter on another origin and lands on the client's site.
    outboundHref = campaignUrl;
    const visitor = await newContext(browser);
    try {
      const reader = await visitor.newPage();
      await reader.goto(site.url('elsewhere.localhost', '/'));
      await Promise.all([reader.waitForURL((url) => url.hostname === 'shop.localhost'), reader.click('#go')]);
      const landed = new URL(reader.url());
      assert.equal(landed.pathname, '/landing');
      assert.equal(landed.searchParams.get('utm_source'), 'newsletter', 'the short URL’s UTM parameters are passed on');
      assert.ok(landed.searchParams.get('mlc'), 'the click id is appended');
      const stored = (await mythic.waitForEvents(CLIENT, (events) => events.some((e) => e.event === '$link_click') && events.some((e) => e.event === '$pageview'))) as EventWithLink[];
      const click = stored.find((e) => e.event === '$link_click');
      const view = stored.find((e) => e.event === '$pageview');
      assert.equal(click?.link_id, linkId, 'the click is stored for the link');
      assert.equal(view?.properties.utm_source, 'newsletter');
      assert.equal(view?.link_id, linkId, 'the landing page view carries the link (from mlc)');
    } finally {
      await visitor.close();
    }

    // The link's page shows the click: its count and the analytics of the period.
    await page.reload();
    await page.locator('.link-detail .clicks[data-value="1"]').waitFor();
    await page.locator('.link-kpis .kpi[data-metric="total_clicks"] .value[data-value="1"]').waitFor();
    assert.equal(await page.locator('.link-kpis .kpi[data-metric="unique_visitors"] .value').getAttribute('data-value'), '1');
    assert.equal(await page.locator('[data-dimension="referrer_host"] tbody tr').first().getAttribute('data-value'), 'elsewhere.localhost');
    await page.getByText('Chart data').click();
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(await page.locator('.daily-clicks tbody tr', { hasText: today }).locator('td').getAttribute('data-value'), '1');
    await page.locator('.link-analytics .chart canvas').first().waitFor();
    await page.getByLabel('Period', { exact: true }).selectOption('all');
    await page.locator('.link-kpis[data-period="all"]').waitFor();
    assert.match(page.url(), /period=all/, 'the period is in the URL');

    // The client's Sources card names the campaign.
    await page.goto(`${mythic.baseUrl}/#/clients/${CLIENT}/analytics`);
    await page.locator('[data-card="sources"]').getByRole('tab', { name: 'UTM source' }).click();
    await page.locator('[data-dimension="utm_source"] tbody tr[data-value="newsletter"]').waitFor();

    // The landing visit is credited to the link.
    const credited = await mythic.admin<{ data: QueryData }>('POST', '/api/v1/query', {
      client_id: CLIENT,
      metrics: ['page_views'],
      dimensions: ['link_id'],
      filters: { event: '$pageview' },
      attribution: 'visit',
      period: '7d',
    });
    assert.equal(credited.status, 200, JSON.stringify(credited.body));
    const byLink = credited.body.data.rows.find((r) => r[0] === linkId);
    assert.equal(Number(byLink?.[credited.body.data.columns.indexOf('page_views')]), 1, JSON.stringify(credited.body.data));
    assert.deepEqual(dash.problems, [], 'no script error and no CSP violation');
  });

  it('edits a link (a password), refuses a taken slug at its field and deletes after confirming', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/${CLIENT}/links`);
    await page.getByRole('button', { name: 'New link' }).click();
    await page.getByLabel('Destination URL').fill(site.url('shop.localhost', '/other'));
    await page.getByRole('button', { name: 'Create link' }).click();
    await page.locator('.links-table tbody tr').nth(1).waitFor();
    const generated = await page.locator('.links-table tbody tr:not([data-slug="Spring-News"])').getAttribute('data-slug');
    assert.match(generated ?? '', /^[23456789abcdefghjkmnpqrstuvwxyz]{7}$/, 'an omitted slug is generated');

    await page.getByRole('button', { name: `Edit /${generated}` }).click();
    await page.getByLabel('Slug', { exact: true }).fill('spring-news');
    await page.getByLabel('Password', { exact: true }).fill('open sesame');
    await page.getByRole('button', { name: 'Save link' }).click();
    await page.locator('.link-form .field.has-error').waitFor();
    assert.match(await fieldError(page, 'Slug'), /slug|taken|use/i, 'a slug taken in another case is refused at the field');
    await page.getByLabel('Slug', { exact: true }).fill(generated!);
    await page.getByRole('button', { name: 'Save link' }).click();
    await page.locator(`tr[data-slug="${generated}"] .badge.password`).waitFor();

    await page.getByRole('button', { name: `Delete /${generated}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete link' }).click();
    await page.locator(`tr[data-slug="${generated}"]`).waitFor({ state: 'detached' });
    assert.equal(await page.locator('.links-table tbody tr').count(), 1);
    const gone = await fetch(`${mythic.baseUrl}/l/${generated}`, { redirect: 'manual' });
    assert.equal(gone.status, 404, 'the deleted short URL no longer redirects');
    assert.deepEqual(dash.problems, []);
  });

  it('fits a 390 px phone in dark mode, every text at 4.5:1 or more', async () => {
    const phone = await openSignedIn(browser, mythic.baseUrl, { width: 390, height: 844 });
    const { page } = phone;
    try {
      await page.emulateMedia({ colorScheme: 'dark' });
      const check = (name: string): Promise<void> => assertFitsDarkPhone(page, name);
      await page.goto(`${mythic.baseUrl}/#/clients/${CLIENT}/links`);
      await page.locator('tr[data-slug="Spring-News"]').waitFor();
      await check('links list');
      await page.getByRole('link', { name: 'Spring newsletter' }).click();
      await page.locator('.link-kpis').waitFor();
      await page.locator('.uptime .facts, .uptime .error-note').first().waitFor();
      await check('link page');
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.close();
    }
  });

  it('shows a client signed in with its own secret key its links and their clicks, without the operator’s monitoring', async () => {
    const own = await openDashboard(browser, mythic.baseUrl);
    const { page } = own;
    try {
      await signIn(page, secretKey);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Links' }).click();
      await page.getByRole('link', { name: 'Spring newsletter' }).click();
      await page.locator('.link-kpis .kpi[data-metric="total_clicks"] .value[data-value="1"]').waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Links' }).getAttribute('aria-current'), 'page');
      assert.equal(await page.getByRole('heading', { name: 'Uptime' }).count(), 0, 'uptime and webhooks are the admin key’s');
      assert.deepEqual(own.problems, []);
    } finally {
      await own.close();
    }
  });
});
