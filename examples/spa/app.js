// The demo page's behaviour: each button calls the API through the Axios client and shows the answer.
// Two modes, as the server runs: header mode (the default) keeps the Bearer token in localStorage;
// cookie mode (REFRESH_COOKIE=true) keeps it in memory only, the refresh credential being an HttpOnly
// cookie. No endpoint says which: a sign-in that sets the readable XSRF-TOKEN cookie means cookie mode.
// The mails of password reset and email verification (docs/mail.md): a "Forgot password?" button, a
// banner while the address is unverified, and a new-password form when the page is opened from a
// reset link (`/reset-password?token=…&email=…`, also served by the demo, as is `/email-verified`).
// Two-factor sign-in (docs/two-factor.md): turn it on (the QR code, then the recovery codes, shown
// once), the code screen when a sign-in answers a challenge, and turn it off.
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
    onSignOut: (code) => { say(`Signed out (${code}): sign in again.`, 'error'); showVerification(null); render(); },
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

/** Shows the banner when `user` (as /api/me gives it) has not verified the address; no user hides it. */
function showVerification(user) {
  $('verify-banner').hidden = !user || user.email_verified_at !== null;
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

/** As run(), and a 200's `message` becomes the status line. */
async function tell(label, call) {
  const response = await run(label, call);
  if (response.status === 200) say(`${label}: ${response.data.message}`);
  return response;
}

const credentials = () => ({ email: $('email').value, password: $('password').value });
const currentPassword = () => ({ current_password: $('password').value });

$('signup').onclick = () => run('Sign up', () => api.post('/api/register', { name: $('name').value, ...credentials() }));

/** After a sign-in's token answer (the login's, or the two-factor challenge's): the mode, the token. */
async function signedIn(response, xsrfBefore) {
  const xsrf = xsrfCookie();
  setMode(xsrf !== null && xsrf !== xsrfBefore ? 'cookie' : 'header');
  storage.set(response.data.access_token);
  // The token says nothing of the address: ask who signed in, quietly (the status stays).
  showVerification((await api.get('/api/me').catch(() => null))?.data);
}

let challenge = null; // the sign-in waiting for its second factor: its token and the XSRF cookie before

$('signin').onclick = async () => {
  const xsrfBefore = xsrfCookie();
  const response = await run('Sign in', () => api.post('/api/login', credentials()));
  if (response.status === 200 && response.data.two_factor) {
    challenge = { token: response.data.challenge_token, xsrfBefore };
    $('challenge-form').hidden = false;
    $('challenge-code').focus();
    say('Sign in: enter the code from your authenticator app');
  } else if (response.status === 200) {
    await signedIn(response, xsrfBefore);
  }
  render();
};

$('challenge-submit').onclick = async () => {
  if (!challenge) return;
  const text = $('challenge-code').value.trim();
  // Six digits are a code from the app; anything else is tried as a recovery code.
  const factor = /^\d{6}$/.test(text.replace(/\s/g, '')) ? { code: text } : { recovery_code: text };
  const response = await run('Two-factor code', () => api.post('/api/two-factor-challenge', { challenge_token: challenge.token, ...factor }));
  if (response.status === 200) {
    await signedIn(response, challenge.xsrfBefore);
    challenge = null;
    $('challenge-form').hidden = true;
    $('challenge-code').value = '';
  } else if (response.data?.errors?.challenge_token || response.status === 429) {
    challenge = null; // dead: sign in again
    $('challenge-form').hidden = true;
  }
  render();
};

$('tf-enable').onclick = async () => {
  const response = await run('Turn on two-factor', () => api.post('/api/user/two-factor-authentication', currentPassword()));
  if (response.status !== 200) return;
  // An <img> of the SVG: shown, never run as part of the page.
  $('tf-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(response.data.qr_svg)}`;
  $('tf-secret').textContent = response.data.secret;
  $('tf-setup').hidden = false;
  $('tf-codes').hidden = true;
  say('Turn on two-factor: scan the QR code, then confirm with a code');
};

$('tf-confirm').onclick = async () => {
  const response = await run('Confirm two-factor', () => api.post('/api/user/confirmed-two-factor-authentication', { code: $('tf-code').value }));
  if (response.status !== 200) return;
  $('tf-setup').hidden = true;
  $('tf-recovery').replaceChildren(...response.data.recovery_codes.map((code) => {
    const item = document.createElement('li');
    item.textContent = code;
    return item;
  }));
  $('tf-codes').hidden = false;
  $('tf-code').value = '';
  say('Two-factor is on: keep the recovery codes');
};

$('tf-disable').onclick = async () => {
  const response = await run('Turn off two-factor', () => api.delete('/api/user/two-factor-authentication', { data: { ...currentPassword(), code: $('tf-code').value } }));
  if (response.status === 200) {
    $('tf-codes').hidden = true;
    say(`Two-factor is off; ${response.data.revoked} other session(s) ended`);
  }
};

$('profile-save').onclick = async () => {
  const response = await run('Save the name', () => api.put('/api/user/profile-information', { name: $('profile-name').value }));
  if (response.status === 200) say(`Your name is now ${response.data.name}`);
};

// The export is an attachment: the page saves it as account.json.
$('export').onclick = async () => {
  const response = await run('Download my data', () => api.get('/api/user/export'));
  if (response.status !== 200) return;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([JSON.stringify(response.data, null, 2)], { type: 'application/json' }));
  link.download = 'account.json';
  link.click();
  say('Your data was saved as account.json');
};

$('delete-account').onclick = async () => {
  if (!window.confirm('Delete your account and everything kept about it? This cannot be undone.')) return;
  const response = await run('Delete my account', () => api.delete('/api/user', { data: { ...currentPassword(), code: $('tf-code').value || undefined } }));
  if (response.status === 204) {
    storage.clear();
    showVerification(null);
    say('Your account is deleted');
  }
  render();
};

$('whoami').onclick = async () => {
  const response = await run('Who am I', () => api.get('/api/me'));
  showVerification(response.status === 200 ? response.data : null);
};

// The same answer for every address: whether one is registered shows only in its mailbox.
$('forgot').onclick = () => tell('Forgot password', () => api.post('/api/forgot-password', { email: $('email').value }));

$('resend-verification').onclick = () => tell('Resend verification link', () => api.post('/api/email/verification-notification'));

// The reset link's token and address; the form shows only when both are there.
const resetLink = new URLSearchParams(location.search);
const fromResetLink = resetLink.has('token') && resetLink.has('email');

$('reset-password').onclick = async () => {
  const password = $('new-password').value;
  const response = await run('Reset password', () => api.post('/api/reset-password', {
    token: resetLink.get('token'),
    email: resetLink.get('email'),
    password,
    password_confirmation: password,
  }));
  if (response.status === 200) {
    // Every session of the user ended, this browser's too, and the token is used up.
    storage.clear();
    showVerification(null);
    history.replaceState(null, '', '/');
    $('reset-form').hidden = true;
    say('Reset password: 200, every session ended: sign in with the new password');
  }
  render();
};

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
  if (response.status === 200) {
    storage.clear();
    showVerification(null);
  }
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
        // Another device: the password again (a stolen token alone cannot sign the owner out).
        await run('Sign out session', () => api.delete(`/api/sessions/${session.id}`, { data: currentPassword() }));
        await showSessions();
      };
      item.append(end);
    }
    list.append(item);
  }
}

$('sessions').onclick = showSessions;

$('others').onclick = async () => {
  // This browser's session is renewed too: the client keeps the token in the answer.
  const response = await run('Sign out everywhere else', () => api.delete('/api/sessions', { params: { except: 'current' }, data: currentPassword() }));
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

$('email').value = fromResetLink ? resetLink.get('email') : `demo-${Date.now()}@example.com`;
$('password').value = 'demo password 123';
setMode(xsrfCookie() === null ? 'header' : 'cookie');
if (fromResetLink) {
  $('reset-form').hidden = false;
  say(`Choose a new password for ${resetLink.get('email')}`);
}
// Where the server's redirect lands after a verification link (FRONTEND_URL/email-verified).
if (location.pathname === '/email-verified') say('Your email address has been verified.');
// After a reload in cookie mode the memory is empty but the refresh cookie is still there.
if (mode === 'cookie') {
  if (await api.resume()) say('Session resumed from the refresh cookie');
  else setMode('header');
}
