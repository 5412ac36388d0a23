// An Axios instance for jwt-auth-server, the way an SPA or a mobile web view should use it:
// - every request carries `Authorization: Bearer <token>` from a pluggable storage;
// - a 401 `token_expired` triggers ONE refresh, shared by every request waiting on it
//   (single-flight), then each of those requests is retried once with the new token;
// - a 401 `token_blacklisted` in header mode is retried once with the stored token if another tab
//   or request replaced it meanwhile; if nobody here replaced it, someone else refreshed a stolen
//   copy, and a logout with it ends that session (the thief's chain) before signing out;
// - a 401 that no refresh can fix (blacklisted, refresh window over, invalid) clears the token and
//   rejects, so the app can send the user to the login page;
// - an answer that renews the session (`PUT /api/password`, `DELETE /api/sessions?except=current`)
//   carries the new token, which replaces the stored one;
// - `api.login(credentials, { onTwoFactor })` signs in, and when the answer is a two-factor
//   challenge (`two_factor: true`) asks `onTwoFactor` for the code (docs/two-factor.md).
// Cookie mode (`cookieMode: true`, in a browser, against a server with REFRESH_COOKIE=true): login
// also sets an HttpOnly refresh cookie that no script can read, and a readable XSRF-TOKEN cookie.
// The access token is then kept in memory only (keep the default memoryStorage(), never
// localStorage); the refresh sends no Authorization header but the cookie, and Axios adds
// `X-XSRF-TOKEN` from the XSRF-TOKEN cookie. After a page reload, `api.resume()` gets a new access
// token from the cookie. Log out through the instance: it sends the cookie, and the server clears it.
import axios from 'axios';

/** Keeps the token in a variable: the default, and right for Node and for tests. */
export function memoryStorage() {
  let token = null;
  return { get: () => token, set: (value) => { token = value; }, clear: () => { token = null; } };
}

/** Keeps the token in the browser's localStorage under `key`, so it survives a reload. */
export function localStorageStorage(key = 'jwt') {
  return {
    get: () => globalThis.localStorage.getItem(key),
    set: (value) => globalThis.localStorage.setItem(key, value),
    clear: () => globalThis.localStorage.removeItem(key),
  };
}

/** The 401 codes after which only a new login helps. */
export const SIGN_OUT_ERRORS = new Set([
  'token_blacklisted', 'refresh_expired', 'token_invalid', 'token_not_provided', 'user_not_found',
]);

/**
 * Creates the client. `onRefresh(token)` runs after each successful refresh, `onSignOut(code)` when
 * the token had to be dropped. The instance has one method more, `resume()`: see below.
 */
export function createClient({
  baseURL = '',
  cookieMode = false,
  storage = memoryStorage(),
  refreshPath = '/api/refresh',
  onRefresh = () => {},
  onSignOut = () => {},
} = {}) {
  // Cookie mode: cookies go along (and are accepted) also cross-origin, and so does X-XSRF-TOKEN
  // (which Axios can read only from a cookie of the page's own site, see REFRESH_COOKIE_DOMAIN) —
  // but only to this API, never to another host an absolute URL points at.
  const toThisAPI = (config) => !/^[a-z][a-z\d+.-]*:/i.test(config.url ?? '')
    || (baseURL !== '' && config.url.startsWith(baseURL));
  const withCookies = cookieMode ? { withCredentials: true, withXSRFToken: toThisAPI } : {};
  const api = axios.create({ baseURL, ...withCookies });
  let refreshing = null; // the refresh in flight, shared by every request that waits for it

  const signOut = (code) => {
    storage.clear();
    onSignOut(code);
  };

  // The refresh itself goes through plain axios: it must not pass through these interceptors.
  // In cookie mode the cookie is the credential: no Authorization header.
  const refresh = async (token) => {
    try {
      const { data } = await axios.post(refreshPath, null, {
        baseURL,
        ...(cookieMode ? withCookies : { headers: { Authorization: `Bearer ${token}` } }),
      });
      storage.set(data.access_token);
      onRefresh(data.access_token);
      return data.access_token;
    } catch (error) {
      signOut(error.response?.data?.error ?? 'refresh_failed');
      throw error;
    }
  };
  const refreshOnce = (token) => (refreshing ??= refresh(token).finally(() => { refreshing = null; }));

  api.interceptors.request.use((config) => {
    const token = storage.get();
    if (token && !config.headers.has('Authorization')) config.headers.set('Authorization', `Bearer ${token}`);
    return config;
  });

  // A renewal (`PUT /api/password`, `DELETE /api/sessions?except=current`) answers
  // `{"status":"success","access_token",…}`: its token replaces the stored one.
  const renewedToken = (response) => {
    const { status, access_token: token } = response.data ?? {};
    if (status === 'success' && typeof token === 'string') storage.set(token);
    return response;
  };

  api.interceptors.response.use(renewedToken, async (error) => {
    const { config, response } = error;
    const code = response?.status === 401 ? response.data?.error : undefined;
    // Header mode: another tab or request replaced the token this one carried. Once with the new
    // one; never the old one again, and never a refresh of it.
    if (!cookieMode && code === 'token_blacklisted' && config && !config.retriedWithStored) {
      await refreshing?.catch(() => {}); // this client's own refresh may be landing right now
      const sent = config.headers.get('Authorization');
      const current = storage.get();
      if (current && sent !== `Bearer ${current}`) {
        config.retriedWithStored = true;
        config.headers.set('Authorization', `Bearer ${current}`);
        return api(config);
      }
      // Nobody here replaced it: someone else refreshed it (a stolen copy). Logging out with it
      // ends that session, the thief's chain included, before signing out.
      if (sent) await axios.post('/api/logout', null, { baseURL, headers: { Authorization: sent } }).catch(() => {});
    }
    // In cookie mode a token another tab's refresh replaced is blacklisted, while the shared cookie
    // still holds its successor: one refresh by cookie, then the request again.
    const renewable = code === 'token_expired' || (cookieMode && code === 'token_blacklisted');
    if (renewable && config && !config.retriedAfterRefresh) {
      const sent = config.headers.get('Authorization');
      const current = storage.get();
      // Another request may have refreshed already: then just retry with the token it got.
      const token = current && sent !== `Bearer ${current}`
        ? current
        : await refreshOnce(current);
      config.retriedAfterRefresh = true;
      config.headers.set('Authorization', `Bearer ${token}`);
      return api(config);
    }
    if (SIGN_OUT_ERRORS.has(code)) signOut(code);
    throw error;
  });

  /**
   * Signs in with `{ email, password }` and stores the token. For a user with two-factor on the
   * server answers a challenge instead: `onTwoFactor(previousError)` is asked for the second factor
   * — a code string, or `{ recovery_code }` — and asked again after a wrong one (the 422 is passed
   * in); resolving to null gives up. Resolves to the token answer.
   */
  api.login = async (credentials, { loginPath = '/api/login', onTwoFactor } = {}) => {
    let { data } = await axios.post(loginPath, credentials, { baseURL, ...withCookies });
    if (data.two_factor) {
      if (!onTwoFactor) throw new Error('two-factor authentication required: pass onTwoFactor');
      const challengePath = loginPath.replace(/\/(login|signin)$/, '/two-factor-challenge');
      let previous = null;
      for (;;) {
        const factor = await onTwoFactor(previous);
        if (factor == null) throw previous ?? new Error('two-factor sign-in abandoned');
        const body = typeof factor === 'string' ? { code: factor } : factor;
        try {
          ({ data } = await axios.post(challengePath, { challenge_token: data.challenge_token, ...body }, { baseURL, ...withCookies }));
          break;
        } catch (error) {
          const errors = error.response?.data?.errors;
          // A wrong code may be tried again on the same challenge; anything else ends it.
          if (error.response?.status !== 422 || !(errors?.code || errors?.recovery_code)) throw error;
          previous = error;
        }
      }
    }
    storage.set(data.access_token);
    return data;
  };

  /**
   * Refreshes now (joining a refresh in flight) and resolves to whether a fresh token is held: in
   * cookie mode the way back in after a page reload, since the cookie survived and the memory did
   * not. In header mode it refreshes the stored token, if there is one.
   */
  api.resume = async () => {
    if (!cookieMode && !storage.get()) return false;
    try {
      await refreshOnce(storage.get());
      return true;
    } catch {
      return false;
    }
  };

  return api;
}
