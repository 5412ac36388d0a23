// Headless Chromium against a server without the demo: the built-in reset page opened from the
// mailed link, used with JavaScript off as well as on, and a page on another origin calling the API
// as a Laravel SPA does (Axios with X-Requested-With, a FormData sign-up), reading Retry-After
// after a 429.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium } from './browser.mjs';
import { mailedLink, removeReadMails } from './mail.mjs';
import { ROOT, startServer } from './server.mjs';

const AXIOS = path.join(ROOT, 'examples', 'node_modules', 'axios', 'dist', 'axios.min.js');

/** A static site on its own origin: `/` is a blank page, `/axios.js` the browser build of Axios. */
async function startSite() {
  const site = http.createServer((req, res) => {
    if (req.url === '/axios.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(fs.readFileSync(AXIOS));
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>SPA</title><script src="/axios.js"></script>');
    }
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${site.address().port}`, close: () => site.close() };
}

let server;
let site;
let browser;
before(async () => {
  site = await startSite();
  server = await startServer(
    { SPA_DEMO: 'false', MAIL_MAILER: 'file', CORS_ALLOWED_ORIGINS: site.origin, RATE_LIMIT_LOGIN_PER_MINUTE: '3' },
    { localhost: true },
  );
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  server?.stop();
  site?.close();
  removeReadMails();
});

const api = (route, body) => fetch(`${server.listenURL}${route}`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  body: JSON.stringify(body),
});

for (const javaScriptEnabled of [true, false]) {
  test(`the mailed reset link opens the built-in page, which resets the password (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
    const email = `pages-${javaScriptEnabled}-${Date.now()}@example.com`;
    const oldPassword = 'pages old password 123';
    const newPassword = 'pages new password 456';
    assert.equal((await api('/api/register', { name: 'Pages', email, password: oldPassword })).status, 201);
    assert.equal((await api('/api/forgot-password', { email })).status, 200);
    const link = await mailedLink(email, '/reset-password?');
    assert.equal(link.origin, server.baseURL, 'FRONTEND_URL defaults to APP_URL: this server');

    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const problems = [];
    // The 422 of the refused form is logged as a failed load: expected; anything else (a CSP
    // violation is "Refused to …") is a problem.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('status of 422')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const opened = await page.goto(link.href);
    assert.equal(opened.status(), 200);
    assert.match(opened.headers()['content-security-policy'], /^default-src 'none'/);
    assert.equal(await page.locator('h1').textContent(), 'Reset Password');
    assert.equal(await page.locator('script').count(), 0);
    assert.match(await page.locator('main').textContent(), new RegExp(email.replace(/[.]/g, '\\.')));

    // A confirmation that does not match: the form again, the error beside the password.
    await page.fill('#password', newPassword);
    await page.fill('#password_confirmation', 'something else entirely');
    const refused = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(refused[0].status(), 422);
    assert.equal(await page.locator('#password-error').textContent(), 'The password field confirmation does not match.');
    assert.equal(await page.getAttribute('#password', 'aria-invalid'), 'true');

    await page.fill('#password', newPassword);
    await page.fill('#password_confirmation', newPassword);
    const done = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(done[0].status(), 200);
    assert.match(await page.locator('#message').textContent(), /Your password has been reset/);
    assert.deepEqual(problems, [], 'no CSP violation, no error');
    await context.close();

    assert.equal((await api('/api/login', { email, password: oldPassword })).status, 401);
    const login = await api('/api/login', { email, password: newPassword });
    assert.equal(login.status, 200);
  });
}

test('a page on another origin calls the API as a Laravel SPA does, and reads Retry-After after a 429', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/`);
  const email = `cors-${Date.now()}@example.com`;
  const results = await page.evaluate(async ({ baseURL, email }) => {
    // What Laravel's resources/js/bootstrap.js sets on every request.
    window.axios.defaults.headers.common['X-Requested-With'] = 'XMLHttpRequest';
    const client = window.axios.create({ baseURL, headers: { 'X-Request-Id': 'spa-trace-1' } });
    const answer = (promise) => promise.then(
      (r) => ({ status: r.status, headers: r.headers, data: r.data }),
      (e) => (e.response ? { status: e.response.status, headers: e.response.headers, data: e.response.data } : { status: 0, error: e.message }),
    );
    // Sign-up as a browser form: FormData, sent as multipart/form-data.
    const form = new FormData();
    form.append('name', 'CORS');
    form.append('email', email);
    form.append('password', 'cors password 123');
    const signedUp = await answer(client.post('/api/register', form));
    const signedIn = await answer(client.post('/api/login', { email, password: 'cors password 123' }));
    const wrong = [];
    for (let i = 0; i < 4; i += 1) wrong.push(await answer(client.post('/api/login', { email, password: 'not the password' })));
    return { signedUp, signedIn, wrong };
  }, { baseURL: server.listenURL, email });

  assert.equal(results.signedUp.status, 201, JSON.stringify(results.signedUp));
  assert.equal(results.signedUp.data.data.email, email);
  assert.equal(results.signedUp.headers['x-request-id'], 'spa-trace-1', 'the page reads X-Request-Id');
  assert.equal(results.signedIn.status, 200, JSON.stringify(results.signedIn));
  const statuses = results.wrong.map((r) => r.status);
  assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
  const throttled = results.wrong[3];
  assert.equal(throttled.status, 429, JSON.stringify(throttled));
  assert.ok(Number(throttled.headers['retry-after']) >= 1, `Retry-After readable: ${JSON.stringify(throttled.headers)}`);
  await page.close();
});
