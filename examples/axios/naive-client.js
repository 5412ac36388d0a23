// The interceptor most blog posts show, kept for comparison (tests/axios.test.mjs): on any 401 it
// refreshes and retries, once per failed request. Ten parallel requests with an expired token make
// ten refresh calls with that same token. At JWT_BLACKLIST_GRACE_PERIOD=0 all but the first get
// `token_blacklisted` and the user is thrown out; with a grace period the server hands every one
// of them the same new token, so even this client keeps working. Prefer jwt-client.js.
import axios from 'axios';
import { memoryStorage } from './jwt-client.js';

export function createNaiveClient({ baseURL = '', storage = memoryStorage(), onRefresh = () => {} } = {}) {
  const api = axios.create({ baseURL });
  api.interceptors.request.use((config) => {
    config.headers.set('Authorization', `Bearer ${storage.get()}`);
    return config;
  });
  api.interceptors.response.use(undefined, async (error) => {
    const { config, response } = error;
    if (response?.status !== 401 || config.retried) throw error;
    config.retried = true;
    const { data } = await axios.post('/api/refresh', null, {
      baseURL,
      headers: { Authorization: config.headers.get('Authorization') },
    });
    onRefresh(data.access_token);
    storage.set(data.access_token);
    return api(config);
  });
  return api;
}
