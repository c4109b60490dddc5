import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { eventually, fieldError, openSignedIn, startMythicAndChromium, stopDashboardSuite, type DashboardPage } from './dashboardPage.js';
import { CHROMIUM_SKIP, type MythicServer } from './harness.js';

/**
 * The settings a client's form edits beyond its text fields (address storage, SDK settings, the
 * time-zone picker), and an agency's page: attach, detach, delete. Every change is read back
 * through the API, and a refused value leaves the stored client as it was.
 */

interface StoredClient {
  timezone: string;
  ip_storage: string;
  sdk_settings: Record<string, unknown>;
  agency_id: string | null;
}
interface ErrorBody {
  details: { field: string; message: string }[];
}

describe('browser: client settings and agencies', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let dash: DashboardPage;

  before(async () => {
    ({ mythic, browser } = await startMythicAndChromium());
    dash = await openSignedIn(browser, mythic.baseUrl);
  });
  after(() => stopDashboardSuite({ dash, browser, mythic }));

  const client = async (id: string): Promise<StoredClient> => (await mythic.admin<{ data: StoredClient }>('GET', `/api/v1/clients/${id}`)).body.data;

  it('edits ip_storage, sdk_settings and the time zone, showing the API’s message under a refused field', async () => {
    const { page } = dash;
    await mythic.createClient({ id: 'cafe', name: 'Cafe', sdk_settings: { respect_dnt: true } });
    await page.goto(`${mythic.baseUrl}/#/clients/cafe/settings`);
    // The stored setting and the defaults both show, at their effective values.
    await page.getByLabel('Respect Do Not Track').waitFor();
    assert.equal(await page.getByLabel('Respect Do Not Track').isChecked(), true);
    assert.equal(await page.getByLabel('Count page views').isChecked(), true);
    assert.equal(await page.getByLabel('Batch size').inputValue(), '10');
    assert.equal(await page.getByLabel('Truncated (default)').isChecked(), true);
    assert.equal(await page.getByLabel('Timezone', { exact: true }).locator('option:checked').innerText(), 'UTC');

    await page.getByLabel('Hashed').check();
    await page.getByLabel('Record when a page is left').uncheck();
    await page.getByLabel('Batch size').fill('500');
    // Typing a place narrows the list; one match left is picked, shown by today's name with its
    // offset and sent as the runtime spells it (Chromium, Node and so the server say Asia/Calcutta).
    await page.getByLabel('Search timezones').fill('kolkata');
    await page.getByText('1 match', { exact: true }).waitFor();
    assert.equal(await page.getByLabel('Timezone', { exact: true }).inputValue(), 'Asia/Calcutta');
    assert.equal(await page.getByLabel('Timezone', { exact: true }).locator('option:checked').innerText(), 'Asia/Kolkata (UTC+05:30)');
    await page.getByRole('button', { name: 'Save changes' }).click();

    // The same change sent straight to the API: its message is the one under "Batch size".
    const refused = await mythic.admin<ErrorBody>('PATCH', '/api/v1/clients/cafe', { sdk_settings: { batch_size: 500 } });
    assert.equal(refused.status, 400);
    const message = refused.body.details.find((d) => d.field === 'sdk_settings.batch_size')?.message;
    assert.ok(message, JSON.stringify(refused.body));
    await page.locator('.field.has-error').first().waitFor();
    assert.equal(await fieldError(page, 'Batch size'), message);
    const untouched = await client('cafe');
    assert.deepEqual([untouched.ip_storage, untouched.timezone, untouched.sdk_settings], ['truncated', 'UTC', { respect_dnt: true }], 'a refused save stores nothing');

    await page.getByLabel('Batch size').fill('20');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const saved = await client('cafe');
    assert.equal(saved.ip_storage, 'hashed');
    assert.equal(saved.timezone, 'Asia/Calcutta');
    assert.deepEqual(saved.sdk_settings, { capture_pageleave: false, respect_dnt: true, batch_size: 20 });

    // After a reload the form shows what was stored; "Restore the defaults" clears the settings.
    await page.reload();
    await page.getByLabel('Batch size').waitFor();
    assert.equal(await page.getByLabel('Batch size').inputValue(), '20');
    assert.equal(await page.getByLabel('Hashed').isChecked(), true);
    assert.equal(await page.getByLabel('Timezone', { exact: true }).locator('option:checked').innerText(), 'Asia/Kolkata (UTC+05:30)');
    await page.getByLabel('Not stored').check();
    await page.getByRole('button', { name: 'Restore the defaults' }).click();
    await eventually(async () => assert.equal(await page.getByLabel('Record when a page is left').isChecked(), true));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const restored = await client('cafe');
    assert.deepEqual([restored.ip_storage, restored.sdk_settings, restored.timezone], ['none', {}, 'Asia/Calcutta']);
    assert.deepEqual(dash.problems, []);
  });

  it('attaches and detaches clients from an agency’s page, then deletes the agency, its clients staying', async () => {
    const { page } = dash;
    const created = await mythic.admin<{ data: { id: string } }>('POST', '/api/v1/agencies', { name: 'Northwind' });
    const other = await mythic.admin<{ data: { id: string } }>('POST', '/api/v1/agencies', { name: 'Contoso' });
    const agencyId = created.body.data.id;
    await mythic.createClient({ id: 'nw-one', name: 'Northwind One', agency_id: agencyId });
    await mythic.createClient({ id: 'loose-shop', name: 'Loose Shop' });
    await mythic.createClient({ id: 'contoso-shop', name: 'Contoso Shop', agency_id: other.body.data.id });

    await page.goto(`${mythic.baseUrl}/#/agencies/${agencyId}`);
    await page.getByRole('heading', { name: 'Clients (1)' }).waitFor();
    await page.getByLabel('Find a client to attach').fill('shop');
    // A client of another agency is offered too, saying that attaching moves it.
    await page.getByText('(now in Contoso: attaching moves it)').waitFor();
    await page.getByRole('button', { name: 'Attach Loose Shop' }).click();
    await page.getByRole('heading', { name: 'Clients (2)' }).waitFor();
    await page.getByRole('button', { name: 'Attach Contoso Shop' }).click();
    await page.getByRole('heading', { name: 'Clients (3)' }).waitFor();
    assert.equal((await client('loose-shop')).agency_id, agencyId);
    assert.equal((await client('contoso-shop')).agency_id, agencyId);
    await page.getByRole('link', { name: 'Loose Shop', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Detach Northwind One' }).click();
    await page.getByRole('heading', { name: 'Clients (2)' }).waitFor();
    assert.equal((await client('nw-one')).agency_id, null);

    await page.getByRole('button', { name: 'Delete agency…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this agency?' });
    assert.match(await dialog.innerText(), /Its 2 clients stay, with no agency: keys,\s+settings and events are kept/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await mythic.admin('GET', `/api/v1/agencies/${agencyId}`)).status, 200, 'cancel deletes nothing');

    await page.getByRole('button', { name: 'Delete agency…' }).click();
    await dialog.getByRole('button', { name: 'Delete agency' }).click();
    await page.getByRole('heading', { name: 'Agencies' }).waitFor();
    assert.equal((await mythic.admin('GET', `/api/v1/agencies/${agencyId}`)).status, 404);
    assert.deepEqual([(await client('loose-shop')).agency_id, (await client('contoso-shop')).agency_id], [null, null], 'its clients stay, detached');
    await page.getByRole('link', { name: 'Contoso', exact: true }).waitFor();
    assert.deepEqual(dash.problems, []);
  });
});
