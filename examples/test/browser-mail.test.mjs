// Headless Chromium clicks through the demo's password reset and email verification, reading the
// links from the mails the server writes as .eml files (MAIL_MAILER=file, the default) to
// storage/mail/ under its working directory, the repository root. The server runs at
// http://localhost:PORT, its APP_URL (and so FRONTEND_URL): the mailed links point at it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { demo, launchChromium } from './browser.mjs';
import { mailedLink, readMails, removeReadMails } from './mail.mjs';
import { ROOT, startServer } from './server.mjs';

const SCREENSHOT = path.join(ROOT, 'target', 'spa-demo-reset.png');

let server;
let browser;
before(async () => {
  server = await startServer({ JWT_BLACKLIST_GRACE_PERIOD: '0', MAIL_MAILER: 'file' }, { localhost: true });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  server?.stop();
  removeReadMails();
});

test('mail: verification banner, resend, forgot password, reset from the mailed link, verify from the mailed link', async () => {
  const page = await browser.newPage();
  const { pageErrors, waitForStatus, click } = demo(page);
  const banner = page.locator('#verify-banner');
  const api = (route, init) => fetch(`${server.listenURL}${route}`, init);

  await page.goto(`${server.baseURL}/`);
  assert.equal(await banner.isVisible(), false, 'no banner before anyone signed in');
  assert.equal(await page.locator('#reset-form').isVisible(), false, 'no reset form without a reset link');
  const email = `browser-mail-${Date.now()}@example.com`;
  const oldPassword = 'browser password 123';
  const newPassword = 'browser new password 456';
  await page.fill('#email', email);
  await page.fill('#password', oldPassword);

  // Sign-up mails a verification link, signed, to the API.
  await click('#signup', 'Sign up: 201');
  const verifyLink = await mailedLink(email, '/api/email/verify/');
  assert.equal(verifyLink.origin, server.baseURL);
  assert.match(verifyLink.search, /^\?expires=\d+&signature=[0-9a-f]{64}$/);

  // Signed in and unverified: the banner, and a new link on request.
  await click('#signin', 'Sign in: 200');
  await banner.waitFor({ state: 'visible', timeout: 10_000 });
  await click('#resend-verification', 'Resend verification link: A new verification link has been sent to your email address.');
  await mailedLink(email, '/api/email/verify/');

  // Forgot password: the answer any address gets; the link is in the mail only.
  await click('#forgot', 'Forgot password: If that address is registered, a reset link has been sent.');
  const resetLink = await mailedLink(email, '/reset-password?');
  assert.equal(resetLink.origin, server.baseURL, 'FRONTEND_URL defaults to APP_URL');
  assert.equal(resetLink.pathname, '/reset-password');
  assert.equal(resetLink.searchParams.get('email'), email);
  const token = resetLink.searchParams.get('token');
  assert.ok(token, 'the link carries the token');

  // The mailed link itself: the demo also answers at /reset-password.
  const signedInToken = await page.evaluate(() => localStorage.getItem('jwt'));
  await page.goto(resetLink.href);
  await waitForStatus(`Choose a new password for ${email}`, 'opening the reset link');
  assert.equal(await page.locator('#reset-form').isVisible(), true);
  assert.equal(await page.inputValue('#email'), email);
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await page.fill('#new-password', newPassword);
  await click('#reset-password', 'Reset password: 200');
  assert.equal(await page.locator('#reset-form').isVisible(), false);
  assert.equal(new URL(page.url()).search, '', 'the used token leaves the address bar');
  assert.equal(await page.locator('#token-state').textContent(), 'none');

  // Every session ended, and the token is used up.
  assert.equal((await api('/api/me', { headers: { Authorization: `Bearer ${signedInToken}` } })).status, 401);
  const again = await api('/api/reset-password', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ token, email, password: 'a third password 789', password_confirmation: 'a third password 789' }),
  });
  assert.equal(again.status, 422);
  assert.deepEqual((await again.json()).errors, { email: ['This password reset token is invalid.'] });

  await page.fill('#password', oldPassword);
  await click('#signin', 'Sign in: 401');
  await page.fill('#password', newPassword);
  await click('#signin', 'Sign in: 200');
  // The reset link came to that inbox: the address counts as verified from then on.
  await click('#whoami', 'Who am I: 200');
  assert.equal(await banner.isVisible(), false, 'a reset proves the address');

  // The sign-up mail's verification link (now a harmless repeat), followed in the browser: a 302 to
  // {FRONTEND_URL}/email-verified, where the demo says so; as an API client, 200 JSON.
  await page.goto(verifyLink.href);
  assert.equal(new URL(page.url()).pathname, '/email-verified');
  await waitForStatus('Your email address has been verified.', 'following the verification link');
  const verified = await api(`${verifyLink.pathname}${verifyLink.search}`, { headers: { Accept: 'application/json' } });
  assert.equal(verified.status, 200);
  assert.deepEqual(await verified.json(), { status: 'success', message: 'Your email address has been verified.' });
  await click('#whoami', 'Who am I: 200');
  assert.equal(await banner.isVisible(), false, 'verified: no banner');
  const me = JSON.parse((await page.locator('#output').textContent()).split('\n').slice(1).join('\n'));
  assert.equal(me.email, email);
  assert.match(me.email_verified_at, /^\d{4}-\d\d-\d\dT/);

  assert.equal(readMails.size, 3, 'sign-up, resend, reset');
  assert.deepEqual(pageErrors, []);
  console.log(`browser (mail): reset and verification clicked through; screenshot ${path.relative(ROOT, SCREENSHOT)}`);
});
