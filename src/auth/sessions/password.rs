//! The password's part in a login's life: confirming the current one (Laravel's
//! `current_password` rule), changing it, resetting it with a mailed link.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{NaiveDateTime, Utc};
use diesel::QueryResult;

use super::ending::{Refused, refusable, renew_session};
use super::{Audience, Device, new_session, record};
use crate::audit::{self, AuthEvent, Via};
use crate::auth::two_factor::{self, SecondFactor, code_required};
use crate::crypto::sha256_hex;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::jwt::Claims;
use crate::models::{self, Ended, PasswordReset, User};
use crate::state::AppState;

/// `current_password` of `user`, checked and rate-limited like a login (so it cannot be guessed
/// faster than one): missing or wrong is a 422 on that field, and a wrong one counts as a failed
/// login of that account.
pub async fn confirm_password(
    state: &AppState,
    user: &User,
    password: Option<String>,
    ip: Option<IpAddr>,
    via: Via,
) -> AppResult<()> {
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(AppError::validation(
            "current_password",
            "The current password field is required.",
        ));
    };
    let reservation = match state
        .limits
        .login_attempt(ip, &user.email, Instant::now())
        .await
    {
        Ok(reservation) => reservation,
        Err(error) => {
            if matches!(error, AppError::TooManyRequests(_)) {
                record(state, AuthEvent::Throttled { ip, via });
            }
            return Err(error);
        }
    };
    if state
        .passwords
        .verify(password, Some(user.password.clone()))
        .await?
    {
        reservation.succeeded().await;
        return Ok(());
    }
    let email_hash = audit::email_digest(&state.audit_key, &user.email);
    let locked = reservation.failed(Instant::now()).await;
    record(
        state,
        AuthEvent::LoginFailed {
            email_hash: email_hash.clone(),
            ip,
            via,
        },
    );
    if locked {
        record(
            state,
            AuthEvent::LockedOut {
                email_hash,
                ip,
                via,
            },
        );
    }
    Err(AppError::validation(
        "current_password",
        "The password is incorrect.",
    ))
}

/// `PUT /password`: after the current password (and, for a user with two-factor on, a current
/// code or recovery code), the new one is stored, a pending reset link stops working, every other
/// session ends, and the caller's is renewed on `device` (every copy of its token dies with it).
/// The renewed session's claims.
pub async fn change_password(
    state: &AppState,
    user: &User,
    claims: &Claims,
    current: String,
    new_password: String,
    factor: Option<SecondFactor>,
    device: &Device,
) -> AppResult<Claims> {
    claims.first_party_only()?;
    let factor = match (user.has_two_factor(), factor) {
        (false, _) => None,
        (true, Some(factor)) => Some(factor),
        (true, None) => return Err(code_required()),
    };
    confirm_password(state, user, Some(current), device.ip, "password_change").await?;
    let hash = state.passwords.hash(new_password).await?;
    let renewed = new_session(
        &state.config,
        user.id,
        Audience::Api,
        super::proof_of(claims),
        device,
        db::now(),
    );
    let new_claims = super::access_claims(state, &renewed, user, Utc::now());
    let (user_id, email, caller) = (user.id, user.email.clone(), claims.sid);
    let checked = user.password.clone();
    let change =
        move |conn: &mut DbConnection, now: NaiveDateTime| -> QueryResult<Result<usize, Refused>> {
            // Only over the hash this request checked: of two changes at once, one wins.
            if !User::replace_password(conn, user_id, &checked, &hash, now)? {
                return Ok(Err(Refused::PasswordChanged));
            }
            PasswordReset::forget(conn, &email)?;
            renew_session(conn, user_id, caller, &renewed, Ended::PasswordChanged, now)
        };
    let sessions_ended = match factor {
        None => state
            .db
            .run(move |conn| refusable(conn, change))
            .await?
            .map_err(AppError::from)?,
        // The code is used up in the change's own transaction: a refused change keeps it.
        Some(factor) => {
            two_factor::prove(state, user, factor, device.ip, "password_change", {
                move |conn, _, now| Ok(change(conn, now)?.map_err(AppError::from))
            })
            .await?
        }
    };
    record(
        state,
        AuthEvent::PasswordChanged {
            user_id,
            sessions_ended,
        },
    );
    Ok(new_claims)
}

/// The answer to a wrong, used or expired reset token, on `email` as Laravel gives it.
const INVALID_RESET_TOKEN: &str = "This password reset token is invalid.";

/// `POST /reset-password` (the API's and the built-in page's): counted against the client's
/// network, then the mailed `token` for `email` is used up, the password replaced, the address
/// counted as proven, and every session and token of the user ends. A wrong, used or expired
/// token is 422 on `email` (checked before the bcrypt work, decided in the transaction).
pub async fn reset_password(
    state: &AppState,
    ip: Option<IpAddr>,
    email: String,
    token: &str,
    new_password: String,
) -> AppResult<()> {
    state.limits.network_attempt(ip, Instant::now()).await?;
    if reset_with_token(state, email, token, new_password).await? {
        Ok(())
    } else {
        Err(AppError::validation("email", INVALID_RESET_TOKEN))
    }
}

/// [`reset_password`] past its limit: false for a token that does not reset.
async fn reset_with_token(
    state: &AppState,
    email: String,
    token: &str,
    new_password: String,
) -> AppResult<bool> {
    let token_hash = sha256_hex(token.as_bytes());
    let lifetime =
        chrono::Duration::minutes(i64::from(state.config.mail.password_reset_expire_minutes));
    let not_before = db::now() - lifetime;
    let (address, hash) = (email.clone(), token_hash.clone());
    let live = state
        .db
        .run(move |conn| PasswordReset::is_live(conn, &address, &hash, not_before))
        .await?;
    if !live {
        return Ok(false);
    }
    let password_hash = state.passwords.hash(new_password).await?;
    let reset = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                if !PasswordReset::consume(conn, &email, &token_hash, not_before)? {
                    return Ok(None);
                }
                let Some(user) = User::find_by_email(conn, &email)? else {
                    return Ok(None);
                };
                let now = db::now();
                User::update_password(conn, user.id, &password_hash, now)?;
                // The link came to that inbox: the address is proven as well.
                User::mark_email_verified(conn, user.id, now)?;
                let ended =
                    models::end_every_login(conn, user.id, None, Ended::PasswordReset, now)?;
                Ok(Some((user.id, ended)))
            })
        })
        .await?;
    let Some((user_id, sessions_ended)) = reset else {
        return Ok(false);
    };
    record(
        state,
        AuthEvent::PasswordReset {
            user_id,
            sessions_ended,
        },
    );
    Ok(true)
}
