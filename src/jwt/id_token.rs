//! ID tokens (OpenID Connect Core 1.0 §2): signed only with the key ring, never under JWT_SECRET,
//! so that any relying party can verify them through the JWKS; and an `id_token_hint` read back.

use jsonwebtoken::{Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Algo, JwtService};
use crate::error::AppError;

impl JwtService {
    /// The algorithm ID tokens are signed with: the ring's current key's; `None` under HS256.
    pub fn id_token_algo(&self) -> Option<Algo> {
        if !self.algo.is_asymmetric() {
            return None;
        }
        self.ring().signing.as_ref().map(|key| key.public.algo)
    }

    /// Signs the claims `build` makes for the algorithm of the ring's current key (`at_hash`
    /// depends on it), with `typ: JWT` and the key's `kid`: read once, so both agree.
    pub fn sign_id_token<T: Serialize>(
        &self,
        build: impl FnOnce(Algo) -> T,
    ) -> Result<String, AppError> {
        let ring = self.ring();
        let key = ring
            .signing
            .as_ref()
            .filter(|_| self.algo.is_asymmetric())
            .ok_or_else(|| AppError::Internal("ID tokens need the key ring".into()))?;
        let mut header = Header::new(key.public.algo.algorithm());
        header.kid = Some(key.public.kid.clone());
        let claims = build(key.public.algo);
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// The claims of an ID token this server signed (`id_token_hint`): its signature under a key
    /// the ring still holds, `typ: JWT`, and its issuer. An expired one is read too (RP-Initiated
    /// Logout 1.0 §2: a hint may be past its `exp`); `None` for anything else.
    pub fn read_id_token<T: DeserializeOwned>(&self, token: &str) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let ring = self.ring();
        let key = ring.verifying.get(header.kid.as_deref()?)?;
        let typ_ok = header
            .typ
            .as_deref()
            .is_none_or(|typ| typ.eq_ignore_ascii_case("JWT"));
        if header.alg != key.algo.algorithm() || !typ_ok {
            return None;
        }
        let mut validation = Validation::new(key.algo.algorithm());
        validation.validate_exp = false;
        // The audience is the client, checked by the caller against the one it names.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["iss", "sub", "aud"]);
        validation.set_issuer(&[&self.issuer]);
        jsonwebtoken::decode::<T>(token, &key.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}
