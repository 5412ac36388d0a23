// Two-factor sign-in with real clients: the Axios recipe's login() with its onTwoFactor callback,
// and headless Chromium enrolling through the demo page. The codes come from `otpauth`, an
// authenticator library of the npm ecosystem, built from the otpauth:// URL the server gave: so
// the URL, the secret and the codes are checked against what authenticator apps do.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as OTPAuth from 'otpauth';

import { createClient, memoryStorage } from '../axios/jwt-client.js';
import { demo, launchChromium } from './browser.mjs';
import { claimsOf, registerUser, startServer } from './server.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

/** The code of `totp` for the time step `step`. */
const codeAt = (totp, step) => totp.generate({ timestamp: step * 30_000 });
const stepNow = () => Math.floor(Date.now() / 30_000);

test('the Axios recipe signs in through the challenge, asking onTwoFactor again after a wrong code', async () => {
  const user = await registerUser(server.baseURL);
  const api = createClient({ baseURL: server.baseURL, storage: memoryStorage() });
  const plain = await api.login({ email: user.email, password: user.password });
  assert.deepEqual(claimsOf(plain.access_token).amr, ['pwd']);

  const { data: enrolment } = await api.post('/api/user/two-factor-authentication', { current_password: user.password });
  const totp = OTPAuth.URI.parse(enrolment.otpauth_url);
  assert.equal(totp.issuer, 'jwt-auth-server');
  assert.equal(totp.label, user.email);
  assert.equal(totp.secret.base32, enrolment.secret);
  assert.deepEqual([totp.algorithm, totp.digits, totp.period], ['SHA1', 6, 30]);
  const step = stepNow();
  const { data: confirmed } = await api.post('/api/user/confirmed-two-factor-authentication', { code: codeAt(totp, step) });
  assert.equal(confirmed.recovery_codes.length, 8);
  assert.equal((await api.get('/api/me')).data.two_factor_enabled, true);

  const phone = createClient({ baseURL: server.baseURL, storage: memoryStorage() });
  const asked = [];
  const answer = await phone.login({ email: user.email, password: user.password }, {
    onTwoFactor: (previous) => {
      asked.push(previous?.response?.data?.errors?.code?.[0] ?? null);
      // First the confirmation's code (used up: refused), then the next step's.
      return asked.length === 1 ? codeAt(totp, step) : codeAt(totp, step + 1);
    },
  });
  assert.deepEqual(asked, [null, 'The provided two factor authentication code was invalid.']);
  const claims = claimsOf(answer.access_token);
  assert.deepEqual([claims.amr, claims.acr], [['pwd', 'otp', 'mfa'], '2']);
  assert.equal((await phone.get('/api/me')).data.email, user.email);

  const tablet = createClient({ baseURL: server.baseURL, storage: memoryStorage() });
  const viaRecovery = await tablet.login({ email: user.email, password: user.password }, {
    onTwoFactor: () => ({ recovery_code: confirmed.recovery_codes[0] }),
  });
  assert.deepEqual(claimsOf(viaRecovery.access_token).amr, ['pwd', 'mfa', 'rec']);
  await assert.rejects(
    createClient({ baseURL: server.baseURL }).login({ email: user.email, password: user.password }),
    /two-factor authentication required/,
  );
});

test('Chromium: turn two-factor on in the demo, sign in with a code, turn it off with a recovery code', async () => {
  const page = await browser.newPage();
  const { pageErrors, click } = demo(page);
  await page.goto(`${server.baseURL}/`);
  const email = `two-factor-${Date.now()}@example.com`;
  await page.fill('#email', email);
  await page.fill('#password', 'browser password 123');
  await click('#signup', 'Sign up: 201');
  await click('#signin', 'Sign in: 200');

  await click('#tf-enable', 'Turn on two-factor: scan the QR code');
  assert.equal(await page.locator('#tf-setup').isVisible(), true);
  const qr = await page.locator('#tf-qr').evaluate((img) => ({ loaded: img.complete && img.naturalWidth > 0, src: img.src }));
  assert.ok(qr.loaded && qr.src.startsWith('data:image/svg+xml'), 'the QR code is drawn');
  const secret = await page.locator('#tf-secret').textContent();
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), issuer: 'jwt-auth-server', label: email });
  const step = stepNow();
  await page.fill('#tf-code', codeAt(totp, step));
  await click('#tf-confirm', 'Two-factor is on: keep the recovery codes');
  const recoveryCodes = await page.locator('#tf-recovery li').allTextContents();
  assert.equal(recoveryCodes.length, 8);

  await click('#logout', 'Log out: 200');
  await click('#signin', 'Sign in: enter the code from your authenticator app');
  assert.equal(await page.locator('#challenge-form').isVisible(), true);
  await page.fill('#challenge-code', codeAt(totp, step + 1));
  await click('#challenge-submit', 'Two-factor code: 200');
  assert.equal(await page.locator('#challenge-form').isVisible(), false);
  const token = await page.evaluate(() => window.demo.storage.get());
  assert.equal(claimsOf(token).acr, '2');
  await click('#whoami', 'Who am I: 200');
  assert.match(await page.locator('#output').textContent(), /"two_factor_enabled": true/);

  await page.fill('#tf-code', recoveryCodes[0]);
  await click('#tf-disable', 'Two-factor is off; 0 other session(s) ended');
  await click('#whoami', 'Who am I: 200');
  assert.match(await page.locator('#output').textContent(), /"two_factor_enabled": false/);
  await click('#logout', 'Log out: 200');
  await click('#signin', 'Sign in: 200');
  assert.deepEqual(pageErrors, []);
});
