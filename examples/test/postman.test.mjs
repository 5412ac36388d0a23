// newman runs the Postman collection, unchanged, against a freshly started server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import newman from 'newman';

import { ROOT, startServer } from './server.mjs';

const read = (file) => JSON.parse(fs.readFileSync(path.join(ROOT, 'postman', file), 'utf8'));

let server;
before(async () => { server = await startServer(); });
after(() => server.stop());

test('every request and assertion of the Postman collection passes', async () => {
  const summary = await new Promise((resolve, reject) => {
    newman.run(
      {
        collection: read('jwt-auth-server.postman_collection.json'),
        environment: read('local.postman_environment.json'),
        envVar: [{ key: 'base_url', value: server.baseURL }],
        reporters: ['cli'],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  const { assertions, requests } = summary.run.stats;
  assert.deepEqual(summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.message}`), []);
  assert.equal(assertions.failed, 0);
  assert.ok(assertions.total >= 25, `assertions: ${assertions.total}`);
  console.log(`newman: ${requests.total} requests, ${assertions.total - assertions.failed}/${assertions.total} assertions passed`);
});
