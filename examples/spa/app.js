// The demo page's behaviour: each button calls the API through the Axios client and shows the answer.
import { createClient, localStorageStorage } from '/jwt-client.js';

const $ = (id) => document.getElementById(id);
const storage = localStorageStorage('jwt');
let refreshes = 0;

const api = createClient({
  storage,
  onRefresh: () => { refreshes += 1; render(); },
  onSignOut: (code) => { say(`Signed out (${code}): sign in again.`, 'error'); render(); },
});

function render() {
  const token = storage.get();
  $('token-state').textContent = token ? `…${token.slice(-12)}` : 'none';
  $('refresh-count').textContent = String(refreshes);
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
  const response = await run('Sign in', () => api.post('/api/login', credentials()));
  if (response.status === 200) storage.set(response.data.access_token);
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
render();
