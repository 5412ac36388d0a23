//! Changing the account's email (Fortify's profile information with MustVerifyEmail, the OWASP
//! way): the new address is proven by a signed link before it replaces the old one, and the old
//! one is told, without a link. `{APP_URL}/api/email/change/{id}/{hash}?expires=…&signature=…`,
//! `hash` the SHA-1 of the new address, `signature` as a verification link's. A newer change
//! replaces a pending one; the link lasts as long as a verification link.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::email_verification::EXPIRE_MINUTES;
use super::sessions::confirm_password;
use crate::crypto::sha1_hex;
use crate::db::{self, Id, is_unique_violation};
use crate::error::{AppError, AppResult};
use crate::jwt::Claims;
use crate::mail;
use crate::models::{PasswordReset, User};
use crate::schema::users;
use crate::state::AppState;

const TAKEN: &str = "The email has already been taken.";

/// `PUT /user/email`: `user` (with `password`) asks to move to `new_email`; the link goes to the
/// new address, a notice to the old one.
pub async fn request(
    state: &AppState,
    user: &User,
    claims: &Claims,
    new_email: String,
    password: Option<String>,
    ip: Option<IpAddr>,
) -> AppResult<()> {
    claims.first_party_only()?;
    if new_email == user.email {
        return Err(AppError::validation(
            "email",
            "The new email must differ from the current one.",
        ));
    }
    confirm_password(state, user, password, ip, "email_change").await?;
    let lookup = new_email.clone();
    let taken = state
        .db
        .read(move |conn| User::find_by_email(conn, &lookup))
        .await?
        .is_some();
    if taken {
        return Err(AppError::validation("email", TAKEN));
    }
    state
        .limits
        .mail_request(ip, &new_email, Instant::now())
        .await?;
    let (id, pending) = (user.id, new_email.clone());
    state
        .db
        .run(move |conn| {
            diesel::update(users::table.find(id))
                .set(users::pending_email.eq(Some(pending)))
                .execute(conn)
                .map(drop)
        })
        .await?;
    let expires = Utc::now().timestamp() + i64::from(EXPIRE_MINUTES) * 60;
    let signed = signed_part(id, &sha1_hex(new_email.as_bytes()), expires);
    let signature = state.url_signer.sign_hex(signed.as_bytes());
    let app_url = state.config.app_url.trim_end_matches('/');
    let link = format!("{app_url}{signed}&signature={signature}");
    state
        .mailer
        .send(mail::email_change(&new_email, &link, EXPIRE_MINUTES));
    state.mailer.send(mail::email_change_notice(&user.email));
    Ok(())
}

/// Whether a change link's parts carry a valid signature that has not expired at `now`.
pub fn is_signed(
    state: &AppState,
    (id, hash, expires, signature): (Id, &str, i64, &str),
    now: DateTime<Utc>,
) -> bool {
    let signed = signed_part(id, hash, expires);
    now.timestamp() <= expires && state.url_signer.verify_hex(signed.as_bytes(), signature)
}

/// Opens a signed link of user `id` for the address of SHA-1 `hash`: the address becomes the
/// account's, verified, and reset links to the old one die. `None` when no such change is
/// pending (a newer one replaced it, or it was done); 422 on `email` when another account took
/// the address meanwhile.
pub async fn confirm(state: &AppState, id: Id, hash: String) -> AppResult<Option<User>> {
    state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                let Some(user) = User::find(conn, id)? else {
                    return Ok(Ok(None));
                };
                let Some(pending) = user.pending_email.clone() else {
                    return Ok(Ok(None));
                };
                if sha1_hex(pending.as_bytes()) != hash {
                    return Ok(Ok(None));
                }
                let now = db::now();
                let moved = diesel::update(users::table.find(id))
                    .set((
                        users::email.eq(&pending),
                        users::pending_email.eq(None::<String>),
                        users::email_verified_at.eq(Some(now)),
                        users::updated_at.eq(now),
                    ))
                    .execute(conn);
                match moved {
                    Ok(_) => {}
                    Err(error) if is_unique_violation(&error) => {
                        return Ok(Err(AppError::validation("email", TAKEN)));
                    }
                    Err(error) => return Err(error),
                }
                PasswordReset::forget(conn, &user.email)?;
                Ok(Ok(User::find(conn, id)?))
            })
        })
        .await?
}

/// What the signature covers: the path under `/api` and the expiry.
fn signed_part(id: Id, hash: &str, expires: i64) -> String {
    format!("/api/email/change/{id}/{hash}?expires={expires}")
}
