// Headless Chromium (Debian's, driven by playwright-core) clicks through the demo page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { ROOT, expiredToken, startServer } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.join(ROOT, 'target', 'spa-demo.png');

let server;
let browser;
before(async () => {
  server = await startServer({ JWT_BLACKLIST_GRACE_PERIOD: '0' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI needs --no-sandbox; the rest keeps Chromium off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('sign up, sign in, who am I, 10 requests after expiry, log out, who am I fails', async () => {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const status = () => page.locator('#status').textContent();
  const click = async (button, expected) => {
    await page.click(button);
    await page.waitForFunction(
      (text) => document.getElementById('status').textContent.startsWith(text),
      expected,
      { timeout: 10_000 },
    ).catch(async () => assert.fail(`after ${button}: expected "${expected}", got "${await status()}"`));
  };

  await page.goto(`${server.baseURL}/`);
  const email = `browser-${Date.now()}@example.com`;
  await page.fill('#email', email);
  await page.fill('#password', 'browser password 123');

  await click('#signup', 'Sign up: 201');
  await click('#signin', 'Sign in: 200');
  await click('#whoami', 'Who am I: 200');
  const me = JSON.parse((await page.locator('#output').textContent()).split('\n').slice(1).join('\n'));
  assert.equal(me.email, email);

  // The token expires (forged an hour past its exp, still inside the refresh window).
  await page.evaluate((token) => localStorage.setItem('jwt', token), expiredToken(me.id));
  await click('#burst', '10/10 requests succeeded, 1 refresh call(s)');
  assert.equal(server.served('/api/refresh', 200), 1);

  await click('#logout', 'Log out: 200');
  await click('#whoami', 'Who am I: 401');
  assert.equal(await page.locator('#token-state').textContent(), 'none');

  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.deepEqual(pageErrors, []);
  console.log(`browser: demo clicked through; screenshot ${path.relative(ROOT, SCREENSHOT)}`);
});
