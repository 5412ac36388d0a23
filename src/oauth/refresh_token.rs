//! Refresh token values: 32 random bytes, base64url; stored only as SHA-256. A rotated token's child
//! is an HMAC of it under a server key, so the same child can be answered again (the reuse interval)
//! without ever storing a token.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::AppError;

/// Makes and recognises refresh token values.
pub struct RefreshTokens {
    key: hmac::Key,
}

impl RefreshTokens {
    /// Keys derived from the JWT secret, under their own label.
    pub fn new(secret: &[u8]) -> Self {
        let derived = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, secret),
            b"oauth refresh token children",
        );
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    /// A new random token.
    pub fn generate(&self) -> Result<String, AppError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The token that rotating `parent` yields: unguessable without `parent` and the key.
    pub fn child_of(&self, parent: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, parent.as_bytes()).as_ref())
    }
}

/// What the database keeps of a token: SHA-256, hex.
pub fn hash(token: &str) -> String {
    crate::crypto::sha256_hex(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_children_deterministic() {
        let tokens = RefreshTokens::new(b"a secret of at least thirty-two bytes!");
        let (a, b) = (tokens.generate().unwrap(), tokens.generate().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(tokens.child_of(&a), tokens.child_of(&a));
        assert_ne!(tokens.child_of(&a), tokens.child_of(&b));
        let other = RefreshTokens::new(b"another secret of at least 32 bytes!!");
        assert_ne!(other.child_of(&a), tokens.child_of(&a));
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
