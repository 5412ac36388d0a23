//! Reading a token: its signature under the secret or the ring key its `kid` names, the claims a
//! token of ours must carry, the verified-token cache, and tymon's tokens when ours fail.

use chrono::{DateTime, Utc};

use super::failure::decode_failure;
use super::{Algo, Claims, JwtService, KeyRing, OAUTH_ACCESS_TOKEN_TYPE, laravel};
use crate::error::AuthFailure;

impl JwtService {
    /// Verifies signature, algorithm, claim types, iss, nbf and iat, and that `typ`, `client_id`
    /// and `aud` agree on the kind of token; not exp, nor whether `aud` is the caller (see the
    /// guards).
    /// The key is the one the header's `kid` names, and the header's `alg` must be that key's (a
    /// token without `kid` can only be HS256 under JWT_SECRET): no algorithm confusion.
    /// A token verified before with a key the ring still holds is not verified again.
    pub fn decode(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AuthFailure> {
        let ring = self.ring();
        if let Some(claims) = self.verified.get(token, &ring) {
            return Ok(claims);
        }
        let (claims, kid) = match self.verify(token, now, &ring) {
            Ok(verified) => verified,
            // Only a token that is not ours is tried as tymon's, so ours cost nothing more.
            Err(failure) => {
                return match &self.laravel {
                    Some(laravel) if laravel::looks_like_tymons(token) => {
                        laravel.verify(token, now)
                    }
                    _ => Err(failure),
                };
            }
        };
        self.verified.insert(token, &claims, kid);
        Ok(claims)
    }

    /// How many verified tokens are remembered (see [`VerifiedTokens`]).
    #[cfg(test)]
    pub(crate) fn verified_tokens(&self) -> usize {
        self.verified.len()
    }

    /// [`decode`](Self::decode) without the cache: the claims and the kid they were verified with.
    fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
        ring: &KeyRing,
    ) -> Result<(Claims, Option<String>), AuthFailure> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| AuthFailure::TokenInvalid(decode_failure(e.kind())))?;
        let (algo, key) = match &header.kid {
            Some(kid) => {
                let key = ring.verifying.get(kid).ok_or(AuthFailure::TokenInvalid(
                    "The token's key (kid) is not known",
                ))?;
                (key.algo, &key.decoding)
            }
            None => {
                let (_, decoding) = self
                    .secret
                    .as_ref()
                    .ok_or(AuthFailure::TokenInvalid("Token algorithm is not accepted"))?;
                (Algo::HS256, decoding)
            }
        };
        if header.alg != algo.algorithm() {
            return Err(AuthFailure::TokenInvalid("Token algorithm is not accepted"));
        }
        let validation = self
            .validations
            .get(&algo)
            .ok_or(AuthFailure::TokenInvalid("Token algorithm is not accepted"))?;
        let data = jsonwebtoken::decode::<Claims>(token, key, validation)
            .map_err(|e| AuthFailure::TokenInvalid(decode_failure(e.kind())))?;
        let claims = data.claims;
        let typ = data.header.typ.unwrap_or_default();
        // An OAuth access token names its client and its audience (RFC 9068 §2.2: the resource
        // server, checked by whoever receives it); a login token neither.
        let consistent = match (&claims.client_id, &claims.aud) {
            (Some(_), Some(_)) => typ.eq_ignore_ascii_case(OAUTH_ACCESS_TOKEN_TYPE),
            (None, None) => typ.eq_ignore_ascii_case("JWT"),
            _ => false,
        };
        if !consistent {
            return Err(AuthFailure::TokenInvalid(
                "The token type does not match its claims",
            ));
        }
        if claims.iat > now.timestamp() + self.leeway {
            return Err(AuthFailure::TokenInvalid(
                "Issued At (iat) timestamp cannot be in the future",
            ));
        }
        Ok((claims, header.kid))
    }
}
