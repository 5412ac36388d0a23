// The authorization code flow with PKCE as a real relying party runs it: oauth4webapi (an OpenID
// certified client library) discovers the server from its RFC 8414 metadata, builds the request,
// checks the response (state and iss, RFC 9207) and redeems the code, while Debian's Chromium
// signs in and consents on the server's own pages. A public SPA client and a native-style loopback
// client (RFC 8252: any port on 127.0.0.1) both complete it.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import * as oauth from 'oauth4webapi';
import * as OTPAuth from 'otpauth';

import { demo, launchChromium } from './browser.mjs';
import { ISSUER, claimsOf, registerUser, startServer } from './server.mjs';

let server;
let browser;
let as;
const insecure = { [oauth.allowInsecureRequests]: true }; // the test server speaks plain http

before(async () => {
  server = await startServer({}, { localhost: true });
  browser = await launchChromium();
  // The issuer (JWT_ISSUER) names no reachable host here: its discovery request goes to the server.
  const toServer = (url, options) => fetch(String(url).replace(ISSUER, server.baseURL), options);
  const issuer = new URL(ISSUER);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.customFetch]: toServer, ...insecure });
  as = await oauth.processDiscoveryResponse(issuer, response);
});
after(async () => {
  await browser?.close();
  server?.stop();
});

const clientId = (args) => server.cli(['client:create', '--name', 'Shop', '--public', '--authorization-code', ...args])
  .match(/client_id: (\S+)/)[1];

/** Runs the browser part: sign in (and consent unless skipped); resolves to the URL the browser was sent back to. */
async function signInAndConsent(authorizationUrl, user, { consent, callbackPrefix, waitForCallback }) {
  const page = await browser.newPage();
  const { pageErrors } = demo(page);
  let callback = null;
  if (callbackPrefix) {
    await page.route(`${callbackPrefix}**`, async (route) => {
      callback = route.request().url();
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'signed in' });
    });
  }
  await page.goto(authorizationUrl);
  assert.match(await page.title(), /Sign in/);
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await page.click('button[type=submit]');
  if (consent) {
    await page.waitForSelector('button[value=allow]');
    assert.match(await page.locator('#scopes').textContent(), /read/);
    await page.click('button[value=allow]');
  }
  const url = callbackPrefix
    ? await (async () => { for (let i = 0; i < 100 && !callback; i += 1) await new Promise((r) => setTimeout(r, 50)); return callback; })()
    : await waitForCallback;
  assert.deepEqual(pageErrors, []);
  await page.close();
  assert.ok(url, 'the browser came back to the client');
  return new URL(url);
}

test('a public SPA client: discovery, PKCE, sign-in and consent in Chromium, code exchange and refresh', async () => {
  assert.equal(as.authorization_endpoint, `${server.baseURL}/oauth/authorize`);
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
  const redirectUri = 'https://spa.example/callback';
  const client = { client_id: clientId(['--redirect-uri', redirectUri, '--scopes', 'offline_access read']), token_endpoint_auth_method: 'none' };
  const user = await registerUser(server.baseURL);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  for (const [name, value] of Object.entries({
    response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'offline_access read', state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  })) url.searchParams.set(name, value);

  const back = await signInAndConsent(url.href, user, { consent: true, callbackPrefix: 'https://spa.example/' });
  const params = oauth.validateAuthResponse(as, client, back, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  assert.equal(claimsOf(tokens.access_token).sub, user.id);
  assert.equal(claimsOf(tokens.access_token).client_id, client.client_id);
  const me = await fetch(`${server.baseURL}/api/me`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal((await me.json()).email, user.email);

  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, insecure));
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'rotated');
  // The code a second time: refused, and what it issued is revoked (RFC 6749 §4.1.2).
  const again = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, insecure);
  await assert.rejects(oauth.processAuthorizationCodeResponse(as, client, again), (error) => error.error === 'invalid_grant');
  const after = await fetch(`${server.baseURL}/api/me`, { headers: { Authorization: `Bearer ${refreshed.access_token}` } });
  assert.equal(after.status, 401);
  console.log('oauth4webapi: a public SPA client completed the code flow with PKCE, refreshed, and a replayed code revoked it');
});

test('a native-style client on a loopback redirect with a port of its own, skipping consent', async () => {
  let resolveCallback;
  const waitForCallback = new Promise((resolve) => { resolveCallback = resolve; });
  const listener = http.createServer((req, res) => {
    resolveCallback(`http://127.0.0.1:${listener.address().port}${req.url}`);
    res.end('You can close this window.');
  });
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  try {
    const client = { client_id: clientId(['--redirect-uri', 'http://127.0.0.1/callback', '--skip-consent', '--scopes', 'read']), token_endpoint_auth_method: 'none' };
    const redirectUri = `http://127.0.0.1:${listener.address().port}/callback`;
    const user = await registerUser(server.baseURL);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'read', state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })) url.searchParams.set(name, value);
    const back = await signInAndConsent(url.href, user, { consent: false, waitForCallback });
    const params = oauth.validateAuthResponse(as, client, back, state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, insecure));
    assert.equal(claimsOf(tokens.access_token).sub, user.id);
    assert.equal(tokens.refresh_token, undefined, 'no offline_access, no refresh token');
    console.log('oauth4webapi: a loopback client completed the code flow on port', listener.address().port);
  } finally {
    listener.close();
  }
});

test('a user with two-factor on passes the code step of the sign-in page in Chromium', async () => {
  const redirectUri = 'https://spa.example/two-factor';
  const client = { client_id: clientId(['--redirect-uri', redirectUri, '--skip-consent', '--scopes', 'read']), token_endpoint_auth_method: 'none' };
  const user = await registerUser(server.baseURL);
  const api = async (path, body, token) => (await fetch(`${server.baseURL}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })).json();
  const { access_token: token } = await api('/api/login', { email: user.email, password: user.password });
  const { otpauth_url: otpauthUrl } = await api('/api/user/two-factor-authentication', { current_password: user.password }, token);
  const totp = OTPAuth.URI.parse(otpauthUrl);
  const step = Math.floor(Date.now() / 30_000);
  const confirmed = await api('/api/user/confirmed-two-factor-authentication', { code: totp.generate({ timestamp: step * 30_000 }) }, token);
  assert.equal(confirmed.recovery_codes.length, 8);

  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  for (const [name, value] of Object.entries({
    response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'read', state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  })) url.searchParams.set(name, value);
  const page = await browser.newPage();
  const { pageErrors } = demo(page);
  let callback = null;
  await page.route('https://spa.example/**', async (route) => {
    callback = route.request().url();
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'signed in' });
  });
  await page.goto(url.href);
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('input[name=code]');
  assert.match(await page.title(), /Two-factor/);
  // The confirmation's code is used up: the page says so, and takes the next one.
  await page.fill('input[name=code]', totp.generate({ timestamp: step * 30_000 }));
  await page.click('button[type=submit]');
  await page.waitForSelector('#two-factor-error');
  await page.fill('input[name=code]', totp.generate({ timestamp: (step + 1) * 30_000 }));
  await page.click('button[type=submit]');
  for (let i = 0; i < 100 && !callback; i += 1) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(pageErrors, []);
  await page.close();
  const params = oauth.validateAuthResponse(as, client, new URL(callback), state);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, insecure));
  const claims = claimsOf(tokens.access_token);
  assert.deepEqual([claims.amr, claims.acr], [['pwd', 'otp', 'mfa'], '2']);
  console.log('oauth4webapi: a user with two-factor on signed in through the code step, acr 2');
});

