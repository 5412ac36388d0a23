//! bcrypt hashing and checking (Laravel: the Hash facade), always on the blocking thread pool.

use actix_web::web;

use crate::error::{AppError, AppResult};

/// bcrypt reads at most 72 bytes; longer passwords are refused, never silently truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// Hashes and verifies passwords at the configured cost.
pub struct PasswordHasher {
    cost: u32,
    /// Verified against when the email is unknown, so that answer takes as long as a wrong password.
    dummy_hash: String,
}

impl PasswordHasher {
    /// A hasher at `cost` (BCRYPT_ROUNDS).
    pub fn new(cost: u32) -> AppResult<Self> {
        // Hashing at cost 4 is instant; the cost field is then raised, so checking against the dummy
        // costs as much as checking a real hash, without paying a full hash at start-up.
        let cheap = bcrypt::hash("not a password", 4).map_err(|e| AppError::Internal(e.into()))?;
        let dummy_hash = format!("$2b${cost:02}${}", &cheap[7..]);
        Ok(Self { cost, dummy_hash })
    }

    /// The bcrypt hash of `password` (the caller has checked its length).
    pub async fn hash(&self, password: String) -> AppResult<String> {
        let cost = self.cost;
        web::block(move || bcrypt::hash(password, cost))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// Whether `candidate` matches `hash`. Without a hash (unknown email) the dummy is checked, so
    /// both failures take the same time; a candidate over 72 bytes never matches.
    pub async fn verify(&self, candidate: String, hash: Option<String>) -> AppResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let matched = web::block(move || {
            let fits = candidate.len() <= MAX_PASSWORD_BYTES;
            match bcrypt::verify(&candidate, &hash) {
                Ok(matched) => matched && fits,
                Err(error) => {
                    tracing::warn!(%error, "a stored password hash is not a bcrypt hash");
                    false
                }
            }
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
        Ok(matched && known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_has_the_configured_cost() {
        let hasher = PasswordHasher::new(12).unwrap();
        assert!(hasher.dummy_hash.starts_with("$2b$12$"));
        assert_eq!(hasher.dummy_hash.len(), 60);
    }

    #[actix_web::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = PasswordHasher::new(4).unwrap();
        let hash = hasher.hash("correct horse".into()).await.unwrap();
        assert!(
            hasher
                .verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("correct horse".into(), None).await.unwrap());
    }

    #[actix_web::test]
    async fn laravel_2y_hashes_verify_as_they_are() {
        let hasher = PasswordHasher::new(4).unwrap();
        let parts = bcrypt::hash_with_result("secret from laravel", 4).unwrap();
        let laravel = parts.format_for_version(bcrypt::Version::TwoY);
        assert!(laravel.starts_with("$2y$04$"));
        assert!(
            hasher
                .verify("secret from laravel".into(), Some(laravel))
                .await
                .unwrap()
        );
    }

    #[actix_web::test]
    async fn a_candidate_over_72_bytes_never_matches() {
        let hasher = PasswordHasher::new(4).unwrap();
        let password = "a".repeat(72);
        let hash = hasher.hash(password.clone()).await.unwrap();
        assert!(
            hasher
                .verify(password.clone(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(format!("{password}X"), Some(hash))
                .await
                .unwrap()
        );
    }
}
