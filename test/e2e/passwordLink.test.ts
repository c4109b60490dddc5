import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { CHROMIUM_SKIP, launchChromium, newContext, startMythic, type MythicServer } from './harness.js';

/**
 * A password link in Chromium: the form's POST is answered 303 to a destination on another
 * origin, which itself redirects to a third one (as shops do, apex to www). Chromium applies a
 * page's CSP `form-action` to every redirect that follows a form submission, so a form-action on
 * the password page would strand the visitor on it; this checks the visitor lands.
 */
describe('browser: a password link takes its password and lands on the destination', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let destination: Server;
  let port = 0;

  before(async () => {
    destination = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://site');
      if (url.pathname === '/sale') {
        response.writeHead(302, { location: `http://www.shop.localhost:${port}/landing${url.search}` });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Landing</title><h1>Welcome to the sale</h1>');
    });
    [mythic, browser] = await Promise.all([startMythic(), launchChromium(), new Promise<void>((resolve) => destination.listen(0, '127.0.0.1', resolve))]);
    port = (destination.address() as AddressInfo).port;
  });
  after(async () => {
    await browser?.close();
    await mythic?.stop();
    destination?.closeAllConnections();
    destination?.close();
  });

  it('submits the right password and follows the 303 to another origin', async () => {
    const created = await mythic.admin<{ data: { short_url: string } }>('POST', '/api/v1/links', {
      destination_url: `http://shop.localhost:${port}/sale`,
      slug: 'vip-sale',
      password: 'open sesame',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(`${mythic.baseUrl}/l/vip-sale?utm_source=mail`);
      await page.getByLabel('Password').fill('open sesame');
      await Promise.all([page.waitForURL(/^http:\/\/www\.shop\.localhost:\d+\/landing/), page.getByRole('button', { name: 'Continue' }).click()]);
      const landed = new URL(page.url());
      assert.equal(landed.searchParams.get('utm_source'), 'mail');
      assert.match(landed.searchParams.get('mlc') ?? '', /./);
      assert.equal(await page.locator('h1').textContent(), 'Welcome to the sale');
    } finally {
      await context.close();
    }
  });
});
