//! Tokens whose signature and claims were verified already, so a token used for its whole hour
//! pays the signature check (tens of microseconds for ES256 or EdDSA) once, not on every request.
//! Only what the signed token itself proves is kept — never whether it is blacklisted, its session
//! active or its user still there: the guards read those from the database on every request, so a
//! logout or a revoked session still wins at the very next request, on every instance.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{Claims, KeyRing};

/// How many tokens are remembered; at the cap the whole cache is dropped (bounded memory and work
/// for any sequence of tokens, at worst the cost of having no cache).
pub const CAPACITY: usize = 8192;

/// Verified tokens (the whole compact token is the key, so no two tokens share an entry). Its
/// `Debug` shows only how many: the keys are live bearer tokens.
#[derive(Default)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<Box<str>, Verified>>,
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("len", &self.len())
            .finish()
    }
}

struct Verified {
    claims: Claims,
    /// The key it was verified with (`None`: JWT_SECRET, which never changes while we run).
    kid: Option<String>,
}

impl VerifiedTokens {
    /// The claims of `token` if it was verified with a key `ring` still holds. A kid is the key's
    /// thumbprint, so the same kid is the same key. The time checks that passed (nbf, iat not in
    /// the future) only get easier as time goes on; exp is the guards' own check, every time.
    pub fn get(&self, token: &str, ring: &KeyRing) -> Option<Claims> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let verified = entries.get(token)?;
        match &verified.kid {
            Some(kid) if !ring.verifying.contains_key(kid) => None,
            _ => Some(verified.claims.clone()),
        }
    }

    /// Remembers that `token` verified to `claims` under `kid`.
    pub fn insert(&self, token: &str, claims: &Claims, kid: Option<String>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            token.into(),
            Verified {
                claims: claims.clone(),
                kid,
            },
        );
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
