// A resource server's whole job with our tokens: verify them offline against the published JWKS.
// `jose` caches the key set and refetches it when a token names a kid it has not seen (a rotation).
import { createRemoteJWKSet, jwtVerify } from 'jose';

/**
 * A verifier for tokens of the jwt-auth-server at `baseURL` (issuer: its JWT_ISSUER). `jwksOptions`
 * go to jose: e.g. `cooldownDuration`, the least time between two fetches (30 s by default).
 */
export function createVerifier({ baseURL, issuer = baseURL, jwksOptions = {} }) {
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', baseURL), jwksOptions);
  return async (token) => (await jwtVerify(token, jwks, { issuer })).payload;
}
