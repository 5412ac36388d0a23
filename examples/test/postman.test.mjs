// newman runs the Postman collection, unchanged, against freshly started servers: the whole
// collection against a default server (whose cookie-mode and OpenID folders skip themselves), the
// cookie-mode folder against one with REFRESH_COOKIE=true, and the OpenID Connect folder against
// one signing with ES256.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import newman from 'newman';

import { ROOT, registerUser, startServer } from './server.mjs';

const read = (file) => JSON.parse(fs.readFileSync(path.join(ROOT, 'postman', file), 'utf8'));
const COOKIE_FOLDER = 'Cookie mode (REFRESH_COOKIE=true)';

/**
 * Runs `folder` (names of folders or requests) against `server`; fails on any failed assertion and
 * returns the run's stats. newman keeps a cookie jar for the run (`request.jar()` unless a
 * `cookieJar` is given), which sends the cookie-mode cookies back like a browser would.
 */
async function run(server, folder, envVar = []) {
  const summary = await new Promise((resolve, reject) => {
    newman.run(
      {
        collection: read('jwt-auth-server.postman_collection.json'),
        environment: read('local.postman_environment.json'),
        envVar: [{ key: 'base_url', value: server.baseURL }, ...envVar],
        ...(folder ? { folder } : {}),
        reporters: ['cli'],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  const { assertions, requests } = summary.run.stats;
  assert.deepEqual(summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.message}`), []);
  assert.equal(assertions.failed, 0);
  console.log(`newman (${folder ? folder.join(', ') : 'the whole collection'}): ${requests.total} requests, ${assertions.total - assertions.failed}/${assertions.total} assertions passed`);
  return summary.run.stats;
}

let server;
let cookieServer;
let oidcServer;
before(async () => {
  server = await startServer();
  oidcServer = await startServer({ JWT_ALGO: 'ES256' }, { localhost: true, issuerIsAppUrl: true });
  // Over plain http a cookie jar keeps `Secure` cookies but does not send them back.
  cookieServer = await startServer({ REFRESH_COOKIE: 'true', REFRESH_COOKIE_SECURE: 'false' });
});
after(() => {
  server?.stop();
  cookieServer?.stop();
  oidcServer?.stop();
});

test('the whole Postman collection passes against a default server, the cookie-mode folder skipping itself', async () => {
  // The code-flow folder's client: public, the code grant, no consent page, a loopback redirect.
  const codeClient = server.cli(['client:create', '--name', 'Postman', '--public', '--authorization-code', '--skip-consent',
    '--redirect-uri', 'http://127.0.0.1/callback', '--scopes', 'read']).match(/client_id: (\S+)/)[1];
  // The admin folder's admin: a user given the admin role on the shell.
  const admin = await registerUser(server.baseURL);
  server.cli(['user:roles', admin.email, '--add', 'admin']);
  const { assertions, requests } = await run(server, undefined, [
    { key: 'code_client_id', value: codeClient },
    { key: 'admin_email', value: admin.email },
    { key: 'admin_password', value: admin.password },
  ]);
  assert.ok(requests.total >= 25, `requests: ${requests.total}`);
  assert.ok(assertions.total >= 75, `assertions: ${assertions.total}`);
});

test('the cookie-mode folder passes against a server with REFRESH_COOKIE=true', async () => {
  const { assertions, requests } = await run(cookieServer, [COOKIE_FOLDER]);
  assert.equal(requests.total, 7);
  assert.ok(assertions.total >= 20, `assertions: ${assertions.total}`);
});

test('the OpenID Connect folder passes against a server signing with ES256', async () => {
  const oidcClient = oidcServer.cli(['client:create', '--name', 'Postman', '--public', '--authorization-code', '--skip-consent',
    '--redirect-uri', 'http://127.0.0.1/callback', '--post-logout-redirect-uri', 'http://127.0.0.1/signed-out',
    '--scopes', 'openid email']).match(/client_id: (\S+)/)[1];
  const { assertions, requests } = await run(oidcServer, ['OpenID Connect (JWT_ALGO=ES256)'], [{ key: 'oidc_client_id', value: oidcClient }]);
  assert.equal(requests.total, 8);
  assert.ok(assertions.total >= 14, `assertions: ${assertions.total}`);
});
