// The demo page's behaviour: each button calls the API through the Axios client and shows the answer.
// Two modes, as the server runs: header mode (the default) keeps the Bearer token in localStorage;
// cookie mode (REFRESH_COOKIE=true) keeps it in memory only, the refresh credential being an HttpOnly
// cookie. No endpoint says which: a sign-in that sets the readable XSRF-TOKEN cookie means cookie mode.
import { createClient, localStorageStorage, memoryStorage } from '/jwt-client.js';

const $ = (id) => document.getElementById(id);
let refreshes = 0;
let mode;
let storage;
let api;

/** The XSRF-TOKEN cookie's value, or null: a cookie-mode server sets it at sign-in and each refresh. */
const xsrfCookie = () => document.cookie.match(/(?:^|;\s*)XSRF-TOKEN=([^;]*)/)?.[1] ?? null;

/** Switches to `next` ('cookie' or 'header'): a new storage and client. */
function setMode(next) {
  mode = next;
  storage = mode === 'cookie' ? memoryStorage() : localStorageStorage('jwt');
  if (mode === 'cookie') localStorage.removeItem('jwt'); // nothing of a header-mode session stays behind
  api = createClient({
    cookieMode: mode === 'cookie',
    storage,
    onRefresh: () => { refreshes += 1; render(); },
    onSignOut: (code) => { say(`Signed out (${code}): sign in again.`, 'error'); render(); },
  });
  // For the browser test (test/browser-cookie.test.mjs), which plants an expired token: in cookie
  // mode the token lives in this module's memory only, out of reach otherwise. A real app would
  // not hand it out like this.
  window.demo = { storage, mode };
  render();
}

function render() {
  const token = storage.get();
  $('token-state').textContent = token ? `…${token.slice(-12)}` : 'none';
  $('refresh-count').textContent = String(refreshes);
  $('mode').textContent = mode;
  $('mode-help').textContent = mode === 'cookie'
    ? 'access token in memory only, refresh token in an HttpOnly cookie, X-XSRF-TOKEN on refresh'
    : 'Bearer token in localStorage';
}

function say(text, kind = 'ok') {
  $('status').textContent = text;
  $('status').className = kind;
}

function show(label, response) {
  $('output').textContent = `${label}: ${response.status}\n${JSON.stringify(response.data, null, 2)}`;
}

/** Runs one API call, showing its answer or its error body; never throws. */
async function run(label, call) {
  try {
    const response = await call();
    show(label, response);
    say(`${label}: ${response.status}`);
    return response;
  } catch (error) {
    if (!error.response) throw error;
    show(label, error.response);
    say(`${label}: ${error.response.status} ${error.response.data?.error ?? ''}`, 'error');
    return error.response;
  } finally {
    render();
  }
}

const credentials = () => ({ email: $('email').value, password: $('password').value });

$('signup').onclick = () => run('Sign up', () => api.post('/api/register', { name: $('name').value, ...credentials() }));

$('signin').onclick = async () => {
  const xsrfBefore = xsrfCookie();
  const response = await run('Sign in', () => api.post('/api/login', credentials()));
  if (response.status === 200) {
    const xsrf = xsrfCookie();
    setMode(xsrf !== null && xsrf !== xsrfBefore ? 'cookie' : 'header');
    storage.set(response.data.access_token);
  }
  render();
};

$('whoami').onclick = () => run('Who am I', () => api.get('/api/me'));

$('refresh').onclick = async () => {
  const response = await run('Refresh', () => api.post('/api/refresh'));
  if (response.status === 200) {
    storage.set(response.data.access_token);
    refreshes += 1;
  }
  render();
};

$('logout').onclick = async () => {
  const response = await run('Log out', () => api.post('/api/logout'));
  if (response.status === 200) storage.clear();
  render();
};

/** Lists the user's sessions, each other one with a button that signs it out. */
async function showSessions() {
  const response = await run('Sessions', () => api.get('/api/sessions'));
  const list = $('session-list');
  list.replaceChildren();
  if (response.status !== 200) return;
  for (const session of response.data.data) {
    const item = document.createElement('li');
    item.dataset.session = session.id;
    const where = session.current ? 'This browser' : (session.user_agent ?? 'Unknown device');
    item.textContent = `${where} · ${session.ip ?? 'unknown address'} · last seen ${session.last_seen_at} `;
    if (!session.current) {
      const end = document.createElement('button');
      end.textContent = 'Sign out';
      end.className = 'end-session';
      end.onclick = async () => {
        await run('Sign out session', () => api.delete(`/api/sessions/${session.id}`));
        await showSessions();
      };
      item.append(end);
    }
    list.append(item);
  }
}

$('sessions').onclick = showSessions;

$('others').onclick = async () => {
  const response = await run('Sign out everywhere else', () => api.delete('/api/sessions', { params: { except: 'current' } }));
  if (response.status === 200) {
    await showSessions();
    say(`Signed out ${response.data.revoked} other session(s)`);
  }
};

$('burst').onclick = async () => {
  const before = refreshes;
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => api.get('/api/me')));
  const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length;
  $('output').textContent = results
    .map((r, i) => `#${i + 1}: ${r.status === 'fulfilled' ? r.value.status : r.reason.response?.status ?? r.reason.message}`)
    .join('\n');
  say(`${ok}/10 requests succeeded, ${refreshes - before} refresh call(s)`, ok === 10 ? 'ok' : 'error');
  render();
};

$('email').value = `demo-${Date.now()}@example.com`;
$('password').value = 'demo password 123';
setMode(xsrfCookie() === null ? 'header' : 'cookie');
// After a reload in cookie mode the memory is empty but the refresh cookie is still there.
if (mode === 'cookie') {
  if (await api.resume()) say('Session resumed from the refresh cookie');
  else setMode('header');
}
