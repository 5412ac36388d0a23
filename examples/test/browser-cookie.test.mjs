// Headless Chromium clicks through the demo page in cookie mode (REFRESH_COOKIE=true): the refresh
// token in an HttpOnly cookie, the access token in memory only, and a cross-site form post refused.
// The page is served from http://localhost:PORT, the server's APP_URL: Chromium sends `Origin` on
// same-origin POSTs too, and takes `Secure` cookies over plain http from localhost only.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { demo, launchChromium } from './browser.mjs';
import { ROOT, expiredToken, startServer } from './server.mjs';

const SCREENSHOT = path.join(ROOT, 'target', 'spa-demo-cookie.png');

let server;
let browser;
let attacker;
before(async () => {
  server = await startServer({ REFRESH_COOKIE: 'true', JWT_BLACKLIST_GRACE_PERIOD: '0' }, { localhost: true });
  browser = await launchChromium();
  // A page of another origin that posts a form to the refresh route as soon as it loads, the
  // classic CSRF. Reached as 127.0.0.1 it is another site too; as localhost, the same site.
  attacker = http.createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><title>Win a prize</title>
      <form method="post" action="${server.baseURL}/api/refresh"><input type="hidden" name="x" value="1"></form>
      <script>document.forms[0].submit();</script>`);
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await browser?.close();
  server?.stop();
  attacker?.close();
});

test('cookie mode: memory-only token, reload, 10 requests after expiry, a second tab, cross-site post refused, log out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { pageErrors, waitForStatus, click } = demo(page);
  const cookie = async (name) => (await context.cookies()).find((c) => c.name === name);
  const memoryToken = () => page.evaluate(() => window.demo.storage.get());

  await page.goto(`${server.baseURL}/`);
  assert.equal(await page.locator('#mode').textContent(), 'header', 'no cookie yet: the default mode');
  const email = `browser-cookie-${Date.now()}@example.com`;
  await page.fill('#email', email);
  await page.fill('#password', 'browser password 123');
  await click('#signup', 'Sign up: 201');
  await click('#signin', 'Sign in: 200');
  assert.equal(await page.locator('#mode').textContent(), 'cookie');

  // The access token: in memory only. Scripts see the XSRF-TOKEN cookie and nothing else.
  const token = await memoryToken();
  assert.equal(token.split('.').length, 3);
  const visible = await page.evaluate(() => {
    const values = (storage) => Array.from({ length: storage.length }, (_, i) => storage.getItem(storage.key(i)));
    return { local: values(localStorage), session: values(sessionStorage), cookie: document.cookie };
  });
  assert.deepEqual(visible.local, []);
  assert.deepEqual(visible.session, []);
  assert.ok(!visible.cookie.includes(token), 'the token is not in document.cookie');
  assert.deepEqual(visible.cookie.split(/;\s*/).map((c) => c.split('=')[0]), ['XSRF-TOKEN']);
  const refresh = await cookie('refresh_token');
  assert.ok(refresh, 'the refresh_token cookie is set');
  assert.equal(refresh.value, token, 'the refresh cookie holds the token the body gave');
  assert.deepEqual(
    { httpOnly: refresh.httpOnly, secure: refresh.secure, sameSite: refresh.sameSite, path: refresh.path },
    { httpOnly: true, secure: true, sameSite: 'Strict', path: '/api' },
  );
  const xsrf = await cookie('XSRF-TOKEN');
  assert.equal(xsrf.httpOnly, false);
  assert.match(xsrf.value, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(visible.cookie, `XSRF-TOKEN=${xsrf.value}`);

  await click('#whoami', 'Who am I: 200');
  const me = JSON.parse((await page.locator('#output').textContent()).split('\n').slice(1).join('\n'));
  assert.equal(me.email, email);

  // A reload empties the memory; the page gets a new token from the cookie, without signing in.
  let refreshed = server.served('/api/refresh', 200);
  await page.reload();
  await waitForStatus('Session resumed from the refresh cookie', 'after the reload');
  assert.equal(server.served('/api/refresh', 200), refreshed + 1);
  assert.equal(await page.locator('#mode').textContent(), 'cookie');
  assert.notEqual((await cookie('refresh_token')).value, refresh.value, 'the refresh rotated the cookie');
  assert.notEqual((await cookie('XSRF-TOKEN')).value, xsrf.value, 'and the XSRF token');
  await click('#whoami', 'Who am I: 200');

  // The token in memory expires (forged an hour past its exp): ten requests, one refresh by cookie.
  await page.evaluate((expired) => window.demo.storage.set(expired), expiredToken(me.id));
  refreshed = server.served('/api/refresh', 200);
  await click('#burst', '10/10 requests succeeded, 1 refresh call(s)');
  assert.equal(server.served('/api/refresh', 200), refreshed + 1);

  // A second tab resumes from the shared cookie, which blacklists the first tab's token: the first
  // tab's next request is token_blacklisted, and it recovers with one refresh by cookie.
  const tab = await context.newPage();
  const inTab = demo(tab);
  await tab.goto(`${server.baseURL}/`);
  await inTab.waitForStatus('Session resumed', 'opening a second tab');
  refreshed = server.served('/api/refresh', 200);
  await click('#whoami', 'Who am I: 200');
  assert.equal(server.served('/api/refresh', 200), refreshed + 1, 'the first tab refreshed once');
  await inTab.click('#whoami', 'Who am I: 200');
  await tab.close();

  // Pages of other origins post a form to /api/refresh in this browser: 127.0.0.1 is another site
  // (the SameSite=Strict cookie stays home), localhost:OTHER_PORT the same site (the cookie goes
  // along, and only Origin and X-XSRF-TOKEN stop it). Both refused, and nothing changes.
  const port = attacker.address().port;
  for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
    const cookieBefore = (await cookie('refresh_token')).value;
    const refused = server.served('/api/refresh', 419);
    const attack = await context.newPage();
    await attack.goto(`${origin}/`, { waitUntil: 'commit' });
    await attack.waitForURL(`${server.baseURL}/api/refresh`, { timeout: 10_000 });
    assert.match(await attack.locator('body').textContent(), /csrf_token_mismatch/, `posted from ${origin}`);
    await attack.close();
    assert.equal(server.served('/api/refresh', 419), refused + 1, `posted from ${origin}`);
    assert.equal((await cookie('refresh_token')).value, cookieBefore, 'the refresh cookie is unchanged');
  }
  await click('#refresh', 'Refresh: 200');
  await click('#whoami', 'Who am I: 200');

  await click('#logout', 'Log out: 200');
  const left = (await context.cookies()).map((c) => c.name);
  assert.ok(!left.includes('refresh_token') && !left.includes('XSRF-TOKEN'), `cookies left: ${left}`);
  assert.equal(await page.locator('#token-state').textContent(), 'none');
  await click('#whoami', 'Who am I: 401 token_not_provided');
  assert.equal(await page.evaluate(() => localStorage.length), 0);

  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.equal(await page.locator('#mode').textContent(), 'cookie');
  assert.deepEqual(pageErrors, []);
  await context.close();
  console.log(`browser (cookie mode): demo clicked through; screenshot ${path.relative(ROOT, SCREENSHOT)}`);
});
