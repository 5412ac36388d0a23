//! OAuth refresh token values: 32 random bytes, base64url; stored only as SHA-256. A rotated token's
//! child is an HMAC of it under a server key, so the same child can be answered again (the reuse
//! interval) without ever storing a token.

use crate::crypto::{self, Hmac};
use crate::error::AppError;

/// A new random refresh token.
pub fn generate() -> Result<String, AppError> {
    crypto::random_token().map_err(|e| AppError::Internal(e.into()))
}

/// The token that rotating `parent` yields: unguessable without `parent` and `key`.
pub fn child_of(key: &Hmac, parent: &str) -> String {
    key.sign_base64url(parent.as_bytes())
}

/// What the database keeps of a token: SHA-256, hex.
pub fn hash(token: &str) -> String {
    crate::models::OAuthRefreshToken::hash_of(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_children_deterministic() {
        let key = Hmac::derived(b"a secret of at least thirty-two bytes!", "children");
        let (a, b) = (generate().unwrap(), generate().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(child_of(&key, &a), child_of(&key, &a));
        assert_ne!(child_of(&key, &a), child_of(&key, &b));
        let other = Hmac::derived(b"another secret of at least 32 bytes!!", "children");
        assert_ne!(child_of(&other, &a), child_of(&key, &a));
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
