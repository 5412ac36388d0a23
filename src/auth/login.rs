//! Checking an email and password, shared by `/api/login` and the OAuth password grant: the
//! brute-force limits, the same time for unknown emails and wrong passwords, audit lines, and a
//! rehash when the stored hash is cheaper than BCRYPT_ROUNDS (e.g. imported from Laravel at 10).

use std::net::IpAddr;
use std::time::Instant;

use super::sessions;
use crate::audit::{self, AuthEvent};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::models::User;
use crate::state::AppState;

/// The user when `email` (normalised) and `password` match; `None` when they do not.
/// Err(TooManyRequests) while the IP or the account is locked, known account or not;
/// Err(AccountDisabled) for the right password of a disabled account. Only a wrong
/// password counts as a failure: an error on the way gives the attempt back.
pub async fn attempt(
    state: &AppState,
    email: String,
    password: String,
    ip: Option<IpAddr>,
    via: audit::Via,
) -> AppResult<Option<User>> {
    let reservation = match state.limits.login_attempt(ip, &email, Instant::now()).await {
        Ok(reservation) => reservation,
        Err(error) => {
            // A store that cannot be read (the database, when shared) is an outage, not an attack.
            if matches!(error, AppError::TooManyRequests(_)) {
                sessions::record(state, AuthEvent::Throttled { ip, via });
            }
            return Err(error);
        }
    };
    let lookup = email.clone();
    let user = state
        .db
        .run(move |conn| User::find_by_email(conn, &lookup))
        .await?;
    let stored = user.as_ref().map(|u| u.password.clone());
    let matched = state.passwords.verify(password.clone(), stored).await?;
    let Some(user) = user.filter(|_| matched) else {
        let email_hash = audit::email_digest(&state.audit_key, &email);
        let locked = reservation.failed(Instant::now()).await;
        let failed = AuthEvent::LoginFailed {
            email_hash: email_hash.clone(),
            ip,
            via,
        };
        sessions::record(state, failed);
        if locked {
            sessions::record(
                state,
                AuthEvent::LockedOut {
                    email_hash,
                    ip,
                    via,
                },
            );
        }
        return Ok(None);
    };
    reservation.succeeded().await;
    // Only after the right password: a wrong one stays the generic refusal.
    if user.is_disabled() {
        return Err(AppError::AccountDisabled);
    }
    if state.passwords.needs_rehash(&user.password) {
        rehash(state, &user, password).await;
    }
    let user_id = user.id;
    sessions::record(state, AuthEvent::LoginSucceeded { user_id, ip, via });
    Ok(Some(user))
}

/// Upgrades the stored hash to BCRYPT_ROUNDS; a failure only costs the upgrade, never the login.
async fn rehash(state: &AppState, user: &User, password: String) {
    let id = user.id;
    let result: Result<(), AppError> = async {
        let hash = state.passwords.hash(password).await?;
        state
            .db
            .run(move |conn| User::update_password(conn, id, &hash, db::now()))
            .await
    }
    .await;
    match result {
        Ok(()) => tracing::info!(user_id = %id, "password rehashed at the configured cost"),
        Err(error) => tracing::warn!(user_id = %id, %error, "password rehash failed"),
    }
}
