// The Axios recipe against a real server: ten parallel requests with an expired token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createClient, memoryStorage } from '../axios/jwt-client.js';
import { createNaiveClient } from '../axios/naive-client.js';
import { expiredToken, registerUser, startServer } from './server.mjs';

const PARALLEL = 10;

/** Fires PARALLEL GET /api/me at once; returns the statuses (errors as their status). */
async function burst(api) {
  const results = await Promise.allSettled(Array.from({ length: PARALLEL }, () => api.get('/api/me')));
  return results.map((r) => (r.status === 'fulfilled' ? r.value.status : r.reason.response?.status ?? r.reason.message));
}

describe('single-flight client, no grace period (JWT_BLACKLIST_GRACE_PERIOD=0)', () => {
  let server;
  before(async () => { server = await startServer({ JWT_BLACKLIST_GRACE_PERIOD: '0' }); });
  after(() => server.stop());

  test(`${PARALLEL} parallel requests with an expired token all succeed after ONE refresh`, async () => {
    const user = await registerUser(server.baseURL);
    const storage = memoryStorage();
    storage.set(expiredToken(user.id));
    let refreshes = 0;
    const api = createClient({ baseURL: server.baseURL, storage, onRefresh: () => { refreshes += 1; } });

    const statuses = await burst(api);

    assert.deepEqual(statuses, Array(PARALLEL).fill(200));
    assert.equal(refreshes, 1, 'one refresh call from the client');
    assert.equal(server.served('/api/refresh', 200), 1, 'one refresh answered by the server');
    assert.equal(server.served('/api/me', 401), PARALLEL, 'every first attempt was token_expired');
    assert.equal(server.served('/api/me', 200), PARALLEL);
    const me = await api.get('/api/me');
    assert.equal(me.data.email, user.email);
    console.log(`single-flight: ${PARALLEL}/${PARALLEL} requests 200, ${refreshes} refresh call`);
  });

  test('a token that cannot be refreshed clears the storage and signs out', async () => {
    const user = await registerUser(server.baseURL);
    const storage = memoryStorage();
    const token = expiredToken(user.id);
    storage.set(token);
    const signOuts = [];
    const api = createClient({ baseURL: server.baseURL, storage, onSignOut: (code) => signOuts.push(code) });
    await api.get('/api/me'); // refreshes: `token` is now blacklisted
    storage.set(token);

    await assert.rejects(api.get('/api/me'), (error) => error.response?.status === 401);
    assert.equal(storage.get(), null);
    assert.deepEqual(signOuts, ['token_blacklisted']);
  });

  test('header mode: a token another tab replaced is retried once with the stored one, never refreshed', async () => {
    const user = await registerUser(server.baseURL);
    const login = await fetch(`${server.baseURL}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    const old = (await login.json()).access_token;
    // Another tab refreshed it and stored the successor; this request still carries the old one.
    const refreshed = await fetch(`${server.baseURL}/api/refresh`, { method: 'POST', headers: { Authorization: `Bearer ${old}` } });
    const storage = memoryStorage();
    storage.set((await refreshed.json()).access_token);
    const signOuts = [];
    const api = createClient({ baseURL: server.baseURL, storage, onSignOut: (code) => signOuts.push(code) });
    const refreshesBefore = server.served('/api/refresh', 200) + server.served('/api/refresh', 401);

    const me = await api.get('/api/me', { headers: { Authorization: `Bearer ${old}` } });

    assert.equal(me.status, 200);
    assert.deepEqual(signOuts, []);
    assert.equal(server.served('/api/refresh', 200) + server.served('/api/refresh', 401), refreshesBefore, 'the old token never went to refresh');
  });

  test('header mode: a token a thief refreshed first is logged out, which ends the thief\'s chain', async () => {
    const user = await registerUser(server.baseURL);
    const login = await fetch(`${server.baseURL}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    const stolen = (await login.json()).access_token;
    const thief = await fetch(`${server.baseURL}/api/refresh`, { method: 'POST', headers: { Authorization: `Bearer ${stolen}` } });
    const thiefs = (await thief.json()).access_token;
    const storage = memoryStorage();
    storage.set(stolen);
    const signOuts = [];
    const api = createClient({ baseURL: server.baseURL, storage, onSignOut: (code) => signOuts.push(code) });

    await assert.rejects(api.get('/api/me'), (error) => error.response?.status === 401);

    assert.deepEqual(signOuts, ['token_blacklisted']);
    assert.equal(storage.get(), null);
    const me = await fetch(`${server.baseURL}/api/me`, { headers: { Authorization: `Bearer ${thiefs}` } });
    assert.equal(me.status, 401, 'the thief\'s chain ended with the session');
  });

  test('a password change renews the session and the client keeps the new token', async () => {
    const user = await registerUser(server.baseURL);
    const storage = memoryStorage();
    const api = createClient({ baseURL: server.baseURL, storage });
    storage.set((await api.post('/api/login', { email: user.email, password: user.password })).data.access_token);
    const before = storage.get();
    const changed = await api.put('/api/password', {
      current_password: user.password, password: 'a new client password', password_confirmation: 'a new client password',
    });
    assert.equal(changed.data.status, 'success');
    assert.notEqual(storage.get(), before);
    assert.equal(storage.get(), changed.data.access_token);
    assert.equal((await api.get('/api/me')).data.email, user.email);
  });

  test('the naive interceptor loses requests when there is no grace period', async () => {
    const user = await registerUser(server.baseURL);
    const storage = memoryStorage();
    storage.set(expiredToken(user.id));
    const api = createNaiveClient({ baseURL: server.baseURL, storage });

    const statuses = await burst(api);

    assert.equal(statuses.filter((s) => s === 200).length, 1, `only the first refresh wins: ${statuses}`);
  });
});

describe('naive client with a grace period (JWT_BLACKLIST_GRACE_PERIOD=30)', () => {
  let server;
  before(async () => { server = await startServer({ JWT_BLACKLIST_GRACE_PERIOD: '30' }); });
  after(() => server.stop());

  test(`${PARALLEL} parallel refreshes of one token all get the same successor`, async () => {
    const user = await registerUser(server.baseURL);
    const storage = memoryStorage();
    storage.set(expiredToken(user.id));
    const issued = new Set();
    let refreshes = 0;
    const api = createNaiveClient({
      baseURL: server.baseURL,
      storage,
      onRefresh: (token) => { refreshes += 1; issued.add(token); },
    });

    const statuses = await burst(api);

    assert.deepEqual(statuses, Array(PARALLEL).fill(200));
    assert.equal(refreshes, PARALLEL, 'no single-flight: one refresh per request');
    assert.equal(server.served('/api/refresh', 200), PARALLEL);
    assert.equal(issued.size, 1, 'every refresh answered the same token');
    console.log(`naive + grace: ${PARALLEL}/${PARALLEL} requests 200, ${refreshes} refresh calls, ${issued.size} distinct token`);
  });
});
