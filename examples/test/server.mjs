// Starts the release server for a test: its own SQLite file, a free port, a known secret, the demo on.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SECRET = 'client-tests-secret-client-tests-secret-42';
export const ISSUER = 'http://jwt-auth-server.test';
const BINARY = process.env.SERVER_BIN ?? path.join(ROOT, 'target/release/jwt-auth-server');

/** A TCP port that was free a moment ago on 127.0.0.1. */
async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Starts a server with `env` added; resolves once it listens. `stop()` kills it and removes its files.
 * With `{ localhost: true }` it gets a known port and APP_URL `http://localhost:PORT`, and `baseURL`
 * is that URL: for a browser, which sends `Origin` (checked against APP_URL in cookie mode) and
 * treats localhost as a secure context. `listenURL` is always the address it listens on. With
 * `{ localhost: true, issuerIsAppUrl: true }` the issuer is that URL too, as an OpenID Provider's
 * must be (discovery is served there).
 */
export async function startServer(env = {}, { localhost = false, issuerIsAppUrl = false } = {}) {
  const port = localhost ? await freePort() : 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-auth-server-clients-'));
  const serverEnv = {
    PATH: process.env.PATH,
    APP_ENV: 'testing',
    APP_PORT: String(port),
    ...(localhost ? { APP_URL: `http://localhost:${port}` } : {}),
    DATABASE_URL: path.join(dir, 'database.sqlite'),
    JWT_SECRET: SECRET,
    JWT_ISSUER: localhost && issuerIsAppUrl ? `http://localhost:${port}` : ISSUER,
    BCRYPT_ROUNDS: '4',
    SPA_DEMO: 'true',
    // Mail would land in the checkout's storage/mail (the server runs from the repository root);
    // a test that reads mail asks for MAIL_MAILER=file.
    MAIL_MAILER: 'none',
    RUST_LOG: 'info',
    ...env,
  };
  const child = spawn(BINARY, [], {
    cwd: ROOT, // the demo's files are read from examples/
    env: serverEnv,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let log = '';
  const listenURL = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${log}`)), 20_000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const match = log.match(/listening on (http:\/\/\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited (${code}):\n${log}`)); });
  });
  return {
    baseURL: localhost ? serverEnv.APP_URL : listenURL,
    listenURL,
    /** Requests to `route` (e.g. `/api/refresh`) that the server answered with `status`, from its log. */
    served: (route, status) => log.split('\n').filter((l) => l.includes(`route=${route} `) && l.includes(`status=${status}`)).length,
    log: () => log,
    /** Runs a CLI command (`keys:rotate`…) against the server's database; its standard output. */
    cli: (args) => execFileSync(BINARY, args, { cwd: ROOT, env: serverEnv, encoding: 'utf8' }),
    stop: () => {
      child.removeAllListeners('exit');
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signs `claims` with the test secret, as the server would (HS256). */
export function forge(claims) {
  const encode = (part) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = crypto.createHmac('sha256', SECRET).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/**
 * A token for `userId` that expired an hour ago but is still inside the refresh window; of the
 * session `sid` when given (a login's token), else one from before sessions.
 */
export function expiredToken(userId, sid) {
  const now = Math.floor(Date.now() / 1000);
  const iat = now - 7200;
  const claims = { iss: ISSUER, sub: userId, iat, nbf: iat, exp: iat + 3600, jti: crypto.randomUUID(), orig_iat: iat };
  return forge(sid ? { ...claims, sid } : claims);
}

/** The claims of a token, unchecked. */
export const claimsOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));

/** Registers a new user through the API; returns { id, email, password }. */
export async function registerUser(baseURL) {
  const email = `client-${crypto.randomUUID()}@example.com`;
  const password = 'client password 123';
  const response = await fetch(`${baseURL}/api/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Client Test', email, password }),
  });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
  const { data } = await response.json();
  return { id: data.id, email, password };
}
