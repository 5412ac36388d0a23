// Headless Chromium (Debian's, driven by playwright-core) clicks through the demo page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { demo, launchChromium } from './browser.mjs';
import { ROOT, claimsOf, expiredToken, startServer } from './server.mjs';

const SCREENSHOT = path.join(ROOT, 'target', 'spa-demo.png');

let server;
let browser;
before(async () => {
  server = await startServer({ JWT_BLACKLIST_GRACE_PERIOD: '0' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('sign up, sign in, who am I, sessions, 10 requests after expiry, log out, who am I fails', async () => {
  const page = await browser.newPage();
  const { pageErrors, click } = demo(page);

  await page.goto(`${server.baseURL}/`);
  const email = `browser-${Date.now()}@example.com`;
  await page.fill('#email', email);
  await page.fill('#password', 'browser password 123');

  await click('#signup', 'Sign up: 201');
  await click('#signin', 'Sign in: 200');
  await click('#whoami', 'Who am I: 200');
  const me = JSON.parse((await page.locator('#output').textContent()).split('\n').slice(1).join('\n'));
  assert.equal(me.email, email);

  // Where you're signed in: a second device logs in; this page lists it and signs it out.
  const otherDevice = async () => {
    const response = await fetch(`${server.baseURL}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Other device' },
      body: JSON.stringify({ email, password: 'browser password 123' }),
    });
    assert.equal(response.status, 200);
    return (await response.json()).access_token;
  };
  const meWith = async (token) => (await fetch(`${server.baseURL}/api/me`, { headers: { Authorization: `Bearer ${token}` } })).status;
  const phone = await otherDevice();
  await click('#sessions', 'Sessions: 200');
  assert.equal(await page.locator('#session-list li').count(), 2);
  assert.match(await page.locator('#session-list li').first().textContent(), /Other device/);
  await page.click('#session-list .end-session');
  await page.waitForFunction(() => document.querySelectorAll('#session-list li').length === 1, null, { timeout: 10_000 });
  assert.equal(await meWith(phone), 401);
  const tablets = [await otherDevice(), await otherDevice()];
  await click('#others', 'Signed out 2 other session(s)');
  assert.equal(await page.locator('#session-list li').count(), 1);
  for (const tablet of tablets) assert.equal(await meWith(tablet), 401);
  await click('#whoami', 'Who am I: 200');

  // The token expires (forged an hour past its exp, still inside the refresh window), in the
  // session "sign out everywhere else" renewed.
  const { sid } = claimsOf(await page.evaluate(() => localStorage.getItem('jwt')));
  await page.evaluate((token) => localStorage.setItem('jwt', token), expiredToken(me.id, sid));
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

test('the profile: a new name, the export, and "delete my account" ending every session', async () => {
  const page = await browser.newPage();
  const { pageErrors, click } = demo(page);
  await page.goto(`${server.baseURL}/`);
  const email = `profile-${Date.now()}@example.com`;
  await page.fill('#email', email);
  await page.fill('#password', 'browser password 123');
  await click('#signup', 'Sign up: 201');
  await click('#signin', 'Sign in: 200');
  const elsewhere = await fetch(`${server.baseURL}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: 'browser password 123' }),
  });
  const phone = (await elsewhere.json()).access_token;

  await page.fill('#profile-name', 'Renamed In Chromium');
  await click('#profile-save', 'Your name is now Renamed In Chromium');
  const download = page.waitForEvent('download');
  await click('#export', 'Your data was saved as account.json');
  const saved = JSON.parse(fs.readFileSync(await (await download).path(), 'utf8'));
  assert.equal(saved.user.name, 'Renamed In Chromium');
  assert.equal(saved.sessions.length, 2);

  let asked = null;
  page.on('dialog', async (dialog) => { asked = dialog.message(); await dialog.accept(); });
  await page.fill('#password', 'not the password');
  await click('#delete-account', 'Delete my account: 422 validation_failed');
  await page.fill('#password', 'browser password 123');
  await click('#delete-account', 'Your account is deleted');
  assert.match(asked, /cannot be undone/);
  assert.equal((await fetch(`${server.baseURL}/api/me`, { headers: { Authorization: `Bearer ${phone}` } })).status, 401);
  const again = await fetch(`${server.baseURL}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: 'browser password 123' }),
  });
  assert.equal(again.status, 401, 'the account is gone');
  assert.deepEqual(pageErrors, []);
  await page.close();
});
