// OpenID Connect as a relying party runs it: openid-client (OpenID certified) discovers the server
// from /.well-known/openid-configuration, sends the code flow with PKCE and a nonce, checks the ID
// token (iss, aud, exp, nonce, auth_time, and its signature through the JWKS, non-repudiation on),
// reads UserInfo, refreshes, and signs out through the end_session_endpoint with the browser's
// cookies, while Debian's Chromium signs in on the server's page. at_hash is checked here by the rule of OpenID Connect
// Core §3.1.3.6 (openid-client leaves it to the RP in the code flow). Run with ES256 and EdDSA.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import * as jose from 'jose';
import * as client from 'openid-client';

import { launchChromium } from './browser.mjs';
import { registerUser, startServer } from './server.mjs';

const REDIRECT_URI = 'https://rp.example/callback';
const SIGNED_OUT = 'https://rp.example/signed-out';

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

/** The browser at `url` until it is sent to `prefix…` (answered here, never fetched); that URL. */
async function browseUntil(page, url, prefix, act = async () => {}) {
  let reached = null;
  await page.route(`${prefix}**`, async (route) => {
    reached = route.request().url();
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the relying party' });
  });
  await page.goto(url);
  await act();
  for (let i = 0; i < 100 && !reached; i += 1) await new Promise((r) => setTimeout(r, 50));
  await page.unroute(`${prefix}**`);
  assert.ok(reached, `the browser reached ${prefix}`);
  return new URL(reached);
}

/** OpenID Connect Core §3.1.3.6: the left half of the hash of the ID token's algorithm. */
function atHash(accessToken, alg) {
  const digest = crypto.createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

for (const algo of ['ES256', 'EdDSA']) {
  test(`openid-client (${algo}): discovery, code flow with nonce, ID token through the JWKS, UserInfo, refresh and sign-out`, async () => {
    const server = await startServer({ JWT_ALGO: algo }, { localhost: true, issuerIsAppUrl: true });
    try {
      const clientId = server.cli(['client:create', '--name', 'Relying Party', '--public', '--authorization-code',
        '--redirect-uri', REDIRECT_URI, '--post-logout-redirect-uri', SIGNED_OUT, '--skip-consent',
        '--scopes', 'openid profile email offline_access']).match(/client_id: (\S+)/)[1];
      const issuer = server.baseURL;
      const config = await client.discovery(new URL(issuer), clientId, undefined, client.None(),
        { execute: [client.allowInsecureRequests] });
      client.enableNonRepudiationChecks(config);
      const metadata = config.serverMetadata();
      assert.deepEqual(metadata.id_token_signing_alg_values_supported, [algo]);
      assert.equal(metadata.end_session_endpoint, `${server.baseURL}/oauth/logout`);

      const user = await registerUser(server.baseURL);
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access', state, nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const page = await browser.newPage();
      const callback = await browseUntil(page, url.href, REDIRECT_URI, async () => {
        await page.fill('input[name=email]', user.email);
        await page.fill('input[name=password]', user.password);
        await page.click('button[type=submit]');
      });
      const tokens = await client.authorizationCodeGrant(config, callback,
        { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
      const claims = tokens.claims();
      assert.equal(claims.sub, user.id);
      assert.equal(claims.aud, clientId);
      assert.equal(claims.nonce, nonce);
      assert.deepEqual([claims.email, claims.email_verified, claims.name], [user.email, false, 'Client Test']);
      assert.deepEqual([claims.amr, claims.acr], [['pwd'], '1']);
      assert.equal(claims.sid, JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url')).sid);
      const { protectedHeader } = await jose.jwtVerify(tokens.id_token,
        jose.createRemoteJWKSet(new URL(metadata.jwks_uri)), { issuer, audience: clientId });
      assert.equal(protectedHeader.alg, algo);
      assert.equal(claims.at_hash, atHash(tokens.access_token, algo));

      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.deepEqual(info, { sub: user.id, name: 'Client Test', updated_at: claims.updated_at, email: user.email, email_verified: false });

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      const again = refreshed.claims();
      assert.equal(again.auth_time, claims.auth_time, 'the same sign-in');
      assert.equal(again.nonce, undefined);
      assert.equal(again.at_hash, atHash(refreshed.access_token, algo));

      const endSession = client.buildEndSessionUrl(config,
        { id_token_hint: refreshed.id_token, post_logout_redirect_uri: SIGNED_OUT, state: 'bye' });
      // With the browser's cookies (the context's request API shares its jar and takes its answers).
      const signedOut = await page.context().request.get(endSession.href, { maxRedirects: 0 });
      assert.equal(signedOut.status(), 302);
      const back = new URL(signedOut.headers().location);
      assert.equal(`${back.origin}${back.pathname}`, SIGNED_OUT);
      assert.equal(back.searchParams.get('state'), 'bye');
      await assert.rejects(client.fetchUserInfo(config, refreshed.access_token, claims.sub), (error) => error.status === 401);
      // The browser's sign-in ended with it: the next authorization asks for the password.
      await page.goto(url.href);
      assert.equal(await page.locator('input[name=password]').count(), 1);
      await page.close();
      console.log(`openid-client (${algo}): ID token, UserInfo, refresh and RP-initiated logout`);
    } finally {
      server.stop();
    }
  });
}
