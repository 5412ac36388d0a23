// A resource server verifies our tokens offline with `jose` and the JWKS, across a key rotation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { decodeProtectedHeader } from 'jose';

import { createVerifier } from '../resource-server/verify.mjs';
import { ISSUER, registerUser, startServer } from './server.mjs';

let server;
before(async () => { server = await startServer({ JWT_ALGO: 'ES256', JWT_KEYS_RELOAD: '1' }); });
after(() => server?.stop());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A public OAuth client with the password grant that may ask for tokens for `resources`; its client_id. */
const createClient = (name, ...resources) => server.cli(['client:create', '--name', name, '--public', '--password-grant',
  ...resources.flatMap((resource) => ['--resource', resource])]).match(/client_id: (\S+)/)[1];

const ORDERS = 'https://orders.example';
const BILLING = 'https://billing.example';

/** An access token of `clientId` for `user` and `resource` (RFC 8707), from the password grant. */
const oauthToken = async (clientId, user, resource) => {
  const response = await fetch(`${server.baseURL}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: clientId, username: user.email, password: user.password, resource }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).access_token;
};

test('a resource server accepts only access tokens issued for it, not /api tokens or another resource\'s', async () => {
  const user = await registerUser(server.baseURL);
  const app = createClient('shop app', ORDERS, BILLING);
  const verify = createVerifier({ baseURL: server.baseURL, issuer: ISSUER, audience: ORDERS });
  const forOrders = await verify(await oauthToken(app, user, ORDERS));
  assert.equal(forOrders.sub, user.id);
  assert.equal(forOrders.client_id, app, 'the client is named in client_id (RFC 9068 §2.2)');
  await assert.rejects(verify(await oauthToken(app, user, BILLING)), /aud/, 'a token for another resource');
  const login = await fetch(`${server.baseURL}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  await assert.rejects(verify((await login.json()).access_token), /typ/, 'an /api login token');
  assert.throws(() => createVerifier({ baseURL: server.baseURL }), /audience/);
});

test('tokens verify offline before and after a rotation, and not after their key is retired', async () => {
  const user = await registerUser(server.baseURL);
  const clientId = createClient('rotation', ORDERS);
  const login = () => oauthToken(clientId, user, ORDERS);
  const kidOf = (token) => decodeProtectedHeader(token).kid;
  /** Logs in until the token is signed by another key than `kid` (the ring is read every second). */
  const tokenFromAnotherKey = async (kid) => {
    for (let tries = 0; tries < 100; tries += 1) {
      const token = await login();
      if (kidOf(token) !== kid) return token;
      await sleep(100);
    }
    throw new Error('the rotation never reached the server');
  };
  const jwksFetches = () => server.served('/.well-known/jwks.json', 200);
  const fetchesBefore = jwksFetches();

  // No cooldown between fetches: the rotation here takes a second, not the 30 s jose waits by default.
  const verify = createVerifier({ baseURL: server.baseURL, issuer: ISSUER, audience: ORDERS, jwksOptions: { cooldownDuration: 0 } });
  const old = await login();
  assert.equal((await verify(old)).sub, user.id);
  assert.equal(jwksFetches(), fetchesBefore + 1);

  server.cli(['keys:rotate']);
  const fresh = await tokenFromAnotherKey(kidOf(old));
  assert.equal((await verify(fresh)).sub, user.id, 'an unknown kid makes it refetch the key set');
  assert.equal(jwksFetches(), fetchesBefore + 2, 'exactly once');
  assert.equal((await verify(old)).sub, user.id, 'the previous key still verifies');

  server.cli(['keys:retire', kidOf(old)]);
  for (let tries = 0; ; tries += 1) {
    const keys = await (await fetch(`${server.baseURL}/.well-known/jwks.json`)).json();
    if (!keys.keys.some((key) => key.kid === kidOf(old))) break;
    assert.ok(tries < 100, 'the retirement never reached the server');
    await sleep(100);
  }
  const later = createVerifier({ baseURL: server.baseURL, issuer: ISSUER, audience: ORDERS });
  await assert.rejects(later(old), /no applicable key|JWKSNoMatchingKey/i);
  assert.equal((await later(fresh)).sub, user.id);
  console.log('resource server: verified across a rotation; the retired key no longer verifies');
});
