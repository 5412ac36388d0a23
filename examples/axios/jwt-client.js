// An Axios instance for jwt-auth-server, the way an SPA or a mobile web view should use it:
// - every request carries `Authorization: Bearer <token>` from a pluggable storage;
// - a 401 `token_expired` triggers ONE refresh, shared by every request waiting on it
//   (single-flight), then each of those requests is retried once with the new token;
// - a 401 that no refresh can fix (blacklisted, refresh window over, invalid) clears the token and
//   rejects, so the app can send the user to the login page.
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
 * the token had to be dropped.
 */
export function createClient({
  baseURL = '',
  storage = memoryStorage(),
  refreshPath = '/api/refresh',
  onRefresh = () => {},
  onSignOut = () => {},
} = {}) {
  const api = axios.create({ baseURL });
  let refreshing = null; // the refresh in flight, shared by every request that waits for it

  const signOut = (code) => {
    storage.clear();
    onSignOut(code);
  };

  // The refresh itself goes through plain axios: it must not pass through these interceptors.
  const refresh = async (token) => {
    try {
      const { data } = await axios.post(refreshPath, null, {
        baseURL,
        headers: { Authorization: `Bearer ${token}` },
      });
      storage.set(data.access_token);
      onRefresh(data.access_token);
      return data.access_token;
    } catch (error) {
      signOut(error.response?.data?.error ?? 'refresh_failed');
      throw error;
    }
  };

  api.interceptors.request.use((config) => {
    const token = storage.get();
    if (token && !config.headers.has('Authorization')) config.headers.set('Authorization', `Bearer ${token}`);
    return config;
  });

  api.interceptors.response.use(undefined, async (error) => {
    const { config, response } = error;
    const code = response?.status === 401 ? response.data?.error : undefined;
    if (code === 'token_expired' && config && !config.retriedAfterRefresh) {
      const sent = config.headers.get('Authorization');
      const current = storage.get();
      // Another request may have refreshed already: then just retry with the token it got.
      const token = current && sent !== `Bearer ${current}`
        ? current
        : await (refreshing ??= refresh(current).finally(() => { refreshing = null; }));
      config.retriedAfterRefresh = true;
      config.headers.set('Authorization', `Bearer ${token}`);
      return api(config);
    }
    if (SIGN_OUT_ERRORS.has(code)) signOut(code);
    throw error;
  });

  return api;
}
