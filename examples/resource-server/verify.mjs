// A resource server's whole job with our tokens: verify them offline against the published JWKS.
// `jose` caches the key set and refetches it when a token names a kid it has not seen (a rotation).
import { createRemoteJWKSet, jwtVerify } from 'jose';

/**
 * A verifier for the OAuth access tokens of the jwt-auth-server at `baseURL` that were issued for
 * `audience` (the resource server's own URI: the `resource` a client asked for, RFC 8707; see
 * docs/oauth.md). It checks, as RFC 9068 §4 asks:
 * the signature against the JWKS, `iss` (the server's JWT_ISSUER), `typ: at+jwt` (so an `/api`
 * login token, `typ: JWT`, is refused) and `aud` (so a token meant for another resource server is refused),
 * plus `exp` and `nbf`. `jwksOptions` go to jose: e.g. `cooldownDuration`, the least time between
 * two fetches (30 s by default).
 */
export function createVerifier({ baseURL, issuer = baseURL, audience, jwksOptions = {} }) {
  if (!audience) throw new Error('a resource server must say which audience it accepts');
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', baseURL), jwksOptions);
  return async (token) => (await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt' })).payload;
}
