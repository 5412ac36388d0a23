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

test('tokens verify offline before and after a rotation, and not after their key is retired', async () => {
  const user = await registerUser(server.baseURL);
  const login = async () => {
    const response = await fetch(`${server.baseURL}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    assert.equal(response.status, 200);
    return (await response.json()).access_token;
  };
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

  // No cooldown between fetches: the rotation here takes a second, not the 30 s jose waits by default.
  const verify = createVerifier({ baseURL: server.baseURL, issuer: ISSUER, jwksOptions: { cooldownDuration: 0 } });
  const old = await login();
  assert.equal((await verify(old)).sub, user.id);
  assert.equal(jwksFetches(), 1);

  server.cli(['keys:rotate']);
  const fresh = await tokenFromAnotherKey(kidOf(old));
  assert.equal((await verify(fresh)).sub, user.id, 'an unknown kid makes it refetch the key set');
  assert.equal(jwksFetches(), 2, 'exactly once');
  assert.equal((await verify(old)).sub, user.id, 'the previous key still verifies');

  server.cli(['keys:retire', kidOf(old)]);
  for (let tries = 0; ; tries += 1) {
    const keys = await (await fetch(`${server.baseURL}/.well-known/jwks.json`)).json();
    if (!keys.keys.some((key) => key.kid === kidOf(old))) break;
    assert.ok(tries < 100, 'the retirement never reached the server');
    await sleep(100);
  }
  const later = createVerifier({ baseURL: server.baseURL, issuer: ISSUER });
  await assert.rejects(later(old), /no applicable key|JWKSNoMatchingKey/i);
  assert.equal((await later(fresh)).sub, user.id);
  console.log('resource server: verified across a rotation; the retired key no longer verifies');
});
