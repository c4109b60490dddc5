import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { eventually, fieldError, openDashboard, signIn, startMythicAndChromium, stopDashboardSuite, type DashboardPage } from './dashboardPage.js';
import { CHROMIUM_SKIP, type MythicServer } from './harness.js';

interface ErrorBody {
  code: string;
  details: { field: string; message: string }[];
}

describe('browser: the dashboard manages clients', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let dash: DashboardPage;

  before(async () => {
    ({ mythic, browser } = await startMythicAndChromium());
    dash = await openDashboard(browser, mythic.baseUrl);
  });
  after(() => stopDashboardSuite({ dash, browser, mythic }));

  const whoami = async (key: string) => {
    const response = await fetch(`${mythic.baseUrl}/api/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: (await response.json()) as { data: unknown } };
  };

  it('refuses a wrong key, then signs in with the admin key kept in sessionStorage only', async () => {
    const { page } = dash;
    await page.getByLabel('Admin key or client secret key').fill('mk_wrong_wrong_wrong_wrong_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This key is not the admin key nor a working secret key of a client.').waitFor();
    await signIn(page);
    await page.getByRole('heading', { name: 'Clients' }).waitFor();
    const storage = await page.evaluate('({ session: Object.keys(sessionStorage), local: Object.keys(localStorage), cookies: document.cookie })');
    assert.deepEqual(storage, { session: ['mythic.key'], local: [], cookies: '' });
    // A reload keeps the tab's session.
    await page.reload();
    await page.getByRole('heading', { name: 'Clients' }).waitFor();
  });

  it('creates a client through the form, showing the API’s validation messages next to the fields', async () => {
    const { page } = dash;
    await page.getByRole('link', { name: 'New client' }).click();
    const bad = { id: 'bad id!', name: 'Shop', domain: 'https://shop.example/path', email: 'not-an-email' };
    await page.getByLabel('Id', { exact: true }).fill(bad.id);
    await page.getByLabel('Name', { exact: true }).fill(bad.name);
    await page.getByLabel('Domain', { exact: true }).fill(bad.domain);
    await page.getByLabel('Email', { exact: true }).fill(bad.email);
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.locator('.field.has-error').first().waitFor();

    // The same body sent straight to the API: the form shows exactly its messages, at the right fields.
    const direct = await mythic.admin<ErrorBody>('POST', '/api/v1/clients', bad);
    assert.equal(direct.status, 400);
    const byField = new Map(direct.body.details.map((d) => [d.field, d.message]));
    assert.deepEqual([...byField.keys()].sort(), ['domain', 'email', 'id']);
    assert.equal(await fieldError(page, 'Id'), byField.get('id'));
    assert.equal(await fieldError(page, 'Domain'), byField.get('domain'));
    assert.equal(await fieldError(page, 'Email'), byField.get('email'));
    assert.equal(await page.getByLabel('Domain', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal((await mythic.admin<{ count: number }>('GET', '/api/v1/clients')).body.count, 0, 'nothing was stored');

    await page.getByLabel('Id', { exact: true }).fill('shop');
    await page.getByLabel('Domain', { exact: true }).fill('shop.example');
    await page.getByLabel('Email', { exact: true }).fill('ops@shop.example');
    await page.getByLabel('Timezone', { exact: true }).selectOption('Europe/Berlin');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('heading', { name: 'Client “Shop” created' }).waitFor();
    const secret = (await page.getByTestId('new-secret').innerText()).trim();
    assert.match(secret, /^sk_[0-9a-f]{32}$/);
    const who = await whoami(secret);
    assert.deepEqual(who.body.data, { role: 'client', client_id: 'shop', name: 'Shop', timezone: 'Europe/Berlin' });

    // A conflict (the domain is taken) is shown at the field too.
    await page.getByRole('button', { name: 'Create another client' }).click();
    await page.getByLabel('Id', { exact: true }).fill('shop-two');
    await page.getByLabel('Name', { exact: true }).fill('Shop two');
    await page.getByLabel('Domain', { exact: true }).fill('SHOP.example');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.locator('.field.has-error').first().waitFor();
    assert.match(await fieldError(page, 'Domain'), /domain/i);
  });

  it('edits a client and finds it by search and status filter', async () => {
    const { page } = dash;
    await mythic.createClient({ id: 'other', name: 'Other Corp' });
    await page.goto(`${mythic.baseUrl}/#/clients/shop`);
    await page.getByLabel('Phone', { exact: true }).fill('+49 30 1234');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const stored = await mythic.admin<{ data: { phone: string } }>('GET', '/api/v1/clients/shop');
    assert.equal(stored.body.data.phone, '+49 30 1234');

    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('searchbox', { name: 'Search' }).fill('other');
    await page.getByText('1 client', { exact: true }).waitFor();
    // The count is drawn with the answer, the rows only in the render after it (the list's pages are set in an effect).
    await eventually(async () => assert.deepEqual(await page.locator('tbody td code').allInnerTexts(), ['other']));
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await page.getByLabel('Status').selectOption('false');
    await page.getByText('0 clients', { exact: true }).waitFor();
  });

  it('rotates the secret key after a confirmation, showing the new secret once, with focus kept in the dialogs', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/shop/keys`);
    // The page settled first: a button clicked while the panel is still loading can be replaced
    // by the next render, and focus then has nothing to return to (seen once in CI, on Node 24).
    await page.getByRole('cell', { name: 'Current', exact: true }).first().waitFor();
    const rotate = page.getByRole('button', { name: 'Rotate…' });
    await rotate.click();
    const confirm = page.getByRole('dialog', { name: 'Rotate keys?' });
    await confirm.waitFor();
    assert.equal(await page.evaluate('document.querySelector("dialog[open]").contains(document.activeElement)'), true, 'focus moves into the dialog');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Rotate…', 'focus returns to the button that opened it');

    await page.getByLabel('Old key keeps working for').selectOption('0');
    await rotate.click();
    await confirm.getByRole('button', { name: 'Rotate' }).click();
    const shown = page.getByRole('dialog', { name: 'New keys' });
    const secret = (await shown.getByTestId('rotated-secret').innerText()).trim();
    assert.match(secret, /^sk_[0-9a-f]{32}$/);
    assert.equal((await whoami(secret)).status, 200, 'the new secret works');
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(secret), 'once closed, the secret is nowhere on the page');
    const masked = await page.locator('tbody tr', { hasText: 'secret' }).first().innerText();
    assert.match(masked, /sk_…[0-9a-f]{4}/);
    await page.reload();
    await page.getByRole('heading', { name: 'Keys' }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'nor after a reload');
  });

  it('edits tags from the templates, with a trigger rule, showing the API’s message at the parameter', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/shop/tags`);
    await page.getByLabel('Add a tag').selectOption('ga4');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const measurement = page.getByLabel('Measurement ID (required)');
    await measurement.fill('UA-123');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Rule 1 kind').selectOption('path_prefix');
    await page.getByLabel('Rule 1 value').fill('/checkout');
    await page.getByRole('button', { name: 'Save tags' }).click();

    const refused = await mythic.admin<ErrorBody>('PUT', '/api/v1/clients/shop/tags', {
      tags: [{ tag_id: 'ga4', enabled: true, params: { measurement_id: 'UA-123' }, trigger_rules: [{ path_prefix: '/checkout' }] }],
    });
    assert.equal(refused.status, 400);
    const message = refused.body.details.find((d) => d.field === 'tags.0.params.measurement_id')?.message;
    assert.ok(message);
    await page.locator('.field.has-error').first().waitFor();
    assert.equal(await fieldError(page, 'Measurement ID (required)'), message);
    assert.deepEqual((await mythic.admin<{ data: unknown[] }>('GET', '/api/v1/clients/shop/tags')).body.data, []);

    await measurement.fill('G-ABC1234');
    await page.getByRole('button', { name: 'Save tags' }).click();
    await page.getByText('Tags saved').waitFor();
    const saved = await mythic.admin<{ data: unknown[] }>('GET', '/api/v1/clients/shop/tags');
    assert.deepEqual(saved.body.data, [{ tag_id: 'ga4', enabled: true, params: { measurement_id: 'G-ABC1234' }, trigger_rules: [{ path_prefix: '/checkout' }] }]);
  });

  it('edits a tag sent by UUID with rules in the object form, keeping both as they were sent', async () => {
    const { page } = dash;
    const tag = { tag_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', enabled: true, params: { measurement_id: 'G-OBJ1234' }, trigger_rules: { url_contains: '/checkout', exclude_url_contains: '/checkout/test' } };
    assert.equal((await mythic.admin('PUT', '/api/v1/clients/shop/tags', { tags: [tag] })).status, 200);
    await page.goto(`${mythic.baseUrl}/#/clients/shop/tags`);
    // The previous test left the page on this view: load it afresh.
    await page.reload();
    await page.getByLabel('Measurement ID (required)').waitFor();
    // The UUID finds its template: the GA4 parameter is shown, filled in.
    assert.equal(await page.getByLabel('Measurement ID (required)').inputValue(), 'G-OBJ1234');
    const combine = page.getByLabel('How the rules of Google Analytics 4 (#1) combine');
    assert.equal(await combine.inputValue(), 'all');
    assert.deepEqual(
      [await page.getByLabel('Rule 1 kind').inputValue(), await page.getByLabel('Rule 1 value').inputValue(), await page.getByLabel('Rule 2 kind').inputValue(), await page.getByLabel('Rule 2 value').inputValue()],
      ['url_contains', '/checkout', 'exclude_url_contains', '/checkout/test'],
    );
    // In the object form a kind can be used once: the other row's kind is not offered.
    assert.equal(await page.getByLabel('Rule 2 kind').locator('option[value="url_contains"]').isDisabled(), true);
    await page.getByLabel('Rule 1 kind').selectOption('path_prefix');
    await page.getByLabel('Rule 1 value').fill('checkout');
    await page.getByRole('button', { name: 'Save tags' }).click();
    // The API's message for the object's key appears at that rule.
    const ruleError = page.locator('.rule .error');
    await ruleError.waitFor();
    assert.match(await ruleError.innerText(), /must start with \//);
    await page.getByLabel('Rule 1 value').fill('/checkout');
    await page.getByRole('button', { name: 'Save tags' }).click();
    await page.getByText('Tags saved').waitFor();
    const saved = await mythic.admin<{ data: unknown[] }>('GET', '/api/v1/clients/shop/tags');
    assert.deepEqual(saved.body.data, [{ ...tag, trigger_rules: { path_prefix: '/checkout', exclude_url_contains: '/checkout/test' } }]);

    // Switching to "any" sends a list of one-key rules.
    await combine.selectOption('any');
    await page.getByRole('button', { name: 'Save tags' }).click();
    const stored = async () => (await mythic.admin<{ data: { trigger_rules: unknown }[] }>('GET', '/api/v1/clients/shop/tags')).body.data[0]?.trigger_rules;
    for (let i = 0; i < 100 && !Array.isArray(await stored()); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await stored(), [{ path_prefix: '/checkout' }, { exclude_url_contains: '/checkout/test' }]);
    assert.equal((await mythic.admin('PUT', '/api/v1/clients/shop/tags', { tags: [] })).status, 200);
  });

  it('saves a snippet, adds a hostname and shows the embed code', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/shop/snippets`);
    await page.getByRole('button', { name: 'Add snippet' }).click();
    await page.getByLabel('Description').fill('Chat widget');
    await page.getByLabel('Code (HTML)').fill('<script>window.chat = 1;</script>');
    await page.getByRole('button', { name: 'Save snippets' }).click();
    await page.getByText('Snippets saved').waitFor();
    const snippets = await mythic.admin<{ data: { description: string; code: string }[] }>('GET', '/api/v1/clients/shop/snippets');
    assert.deepEqual(snippets.body.data.map((s) => [s.description, s.code]), [['Chat widget', '<script>window.chat = 1;</script>']]);

    await page.goto(`${mythic.baseUrl}/#/clients/shop/hostnames`);
    await page.getByLabel('Add a hostname').fill('http://bad/');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator('.field.has-error').waitFor();
    await page.getByLabel('Add a hostname').fill('checkout.shop.example');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('checkout.shop.example').waitFor();
    // The install check: nothing has been sent from the new hostname yet.
    await page.locator('li', { hasText: 'checkout.shop.example' }).getByText('no event received yet').waitFor();

    await page.goto(`${mythic.baseUrl}/#/clients/shop/embed`);
    const embed = await mythic.admin<{ data: { html: string } }>('GET', '/api/v1/clients/shop/loader');
    const code = page.getByRole('textbox', { name: 'Embed code' });
    await code.waitFor();
    assert.equal(await code.inputValue(), embed.body.data.html);
    await dash.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: mythic.baseUrl });
    await page.getByRole('button', { name: 'Copy embed code' }).click();
    await page.getByText('Copied', { exact: true }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), embed.body.data.html);
  });

  it('creates and edits an agency and lists its clients', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/agencies/new`);
    await page.getByLabel('Name', { exact: true }).fill('Northwind');
    await page.getByLabel('Website', { exact: true }).fill('ftp://nope');
    await page.getByRole('button', { name: 'Create agency' }).click();
    await page.locator('.field.has-error').waitFor();
    await page.getByLabel('Website', { exact: true }).fill('https://northwind.example');
    await page.getByRole('button', { name: 'Create agency' }).click();
    await page.getByRole('heading', { name: 'Northwind' }).waitFor();
    const agencyId = decodeURIComponent(new URL(page.url()).hash.replace('#/agencies/', ''));
    await mythic.createClient({ id: 'nw-shop', name: 'Northwind Shop', agency_id: agencyId });
    await page.reload();
    await page.getByRole('heading', { name: 'Clients (1)' }).waitFor();
    await page.getByRole('link', { name: 'Northwind Shop', exact: true }).waitFor();
    await page.getByLabel('Email', { exact: true }).fill('hi@northwind.example');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const stored = await mythic.admin<{ data: { email: string } }>('GET', `/api/v1/agencies/${agencyId}`);
    assert.equal(stored.body.data.email, 'hi@northwind.example');
  });

  it('shows "Not found" for a link with a malformed escape instead of failing', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/%E0`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await page.getByRole('button', { name: 'Go to clients' }).click();
    await page.getByRole('heading', { name: 'Clients' }).waitFor();
    assert.deepEqual(dash.problems.filter((problem) => problem.startsWith('page error')), []);
  });

  it('deactivates, then deletes a client for good only once its id is typed', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/other`);
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog', { name: 'Deactivate this client?' }).getByRole('button', { name: 'Deactivate' }).click();
    await page.getByText('Inactive', { exact: true }).first().waitFor();
    assert.equal((await mythic.admin<{ data: { status: boolean } }>('GET', '/api/v1/clients/other')).body.data.status, false);

    await page.getByRole('button', { name: 'Delete for good' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this client for good?' });
    await dialog.getByLabel('Type other to confirm').fill('wrong');
    await dialog.getByRole('button', { name: 'Delete for good' }).click();
    assert.equal((await mythic.admin('GET', '/api/v1/clients/other')).status, 200, 'a wrong confirmation deletes nothing');
    await dialog.getByLabel('Type other to confirm').fill('other');
    await dialog.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByRole('heading', { name: 'Clients' }).waitFor();
    assert.equal((await mythic.admin('GET', '/api/v1/clients/other')).status, 404);
    assert.deepEqual(dash.problems, [], 'no script error and no CSP violation');
  });
});
