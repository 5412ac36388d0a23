//! Email verification links (Laravel: MustVerifyEmail's VerifyEmail notification and its
//! temporary signed route): `{APP_URL}/api/email/verify/{id}/{hash}?expires=…&signature=…`, where
//! `hash` is the SHA-1 of the address and `signature` the hex HMAC-SHA256 of the path and expiry
//! under APP_KEY. A link proves the address for as long as the address stays the same.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::audit::AuthEvent;
use crate::crypto::sha1_hex;
use crate::db::Id;
use crate::error::AppResult;
use crate::mail::{self, Mail};
use crate::models::User;
use crate::state::AppState;

/// How long a verification link works (Laravel's `auth.verification.expire`).
pub const EXPIRE_MINUTES: u32 = 60;

/// The verification mail for `user`, its link valid [`EXPIRE_MINUTES`] from `now`.
pub fn mail(state: &AppState, user: &User, now: DateTime<Utc>) -> Mail {
    let expires = now.timestamp() + i64::from(EXPIRE_MINUTES) * 60;
    let signed = signed_part(user.id, &sha1_hex(user.email.as_bytes()), expires);
    let signature = state.url_signer.sign_hex(signed.as_bytes());
    let app_url = state.config.app_url.trim_end_matches('/');
    let link = format!("{app_url}{signed}&signature={signature}");
    mail::verify_email(&user.email, &link, EXPIRE_MINUTES)
}

/// Whether MUST_VERIFY_EMAIL refuses `user`, whose password was right (checked after it, so it
/// tells a guesser nothing). When it does, a fresh link goes out with the refusal, within the
/// address's mail budget, so an expired or lost first link never locks the owner out (the resend
/// route needs a token that such a user cannot get). Every sign-in asks this one function.
pub async fn refuses_unverified(state: &AppState, user: &User, ip: Option<IpAddr>) -> bool {
    if !state.config.mail.must_verify || user.email_verified_at.is_some() {
        return false;
    }
    resend_after_refusal(state, user, ip).await;
    true
}

async fn resend_after_refusal(state: &AppState, user: &User, ip: Option<IpAddr>) {
    if state
        .limits
        .mail_request(ip, &user.email, Instant::now())
        .await
        .is_ok()
    {
        state.mailer.send(mail(state, user, Utc::now()));
    }
}

/// Whether a link's parts carry a valid signature that has not expired at `now`. The address
/// itself is checked against `hash` by the caller, with the user in hand.
pub fn is_signed(
    state: &AppState,
    (id, hash, expires, signature): (Id, &str, i64, &str),
    now: DateTime<Utc>,
) -> bool {
    let signed = signed_part(id, hash, expires);
    now.timestamp() <= expires && state.url_signer.verify_hex(signed.as_bytes(), signature)
}

/// Records that user `id`'s address is proven by a signed link for `hash`: `Some(true)` when this
/// call did it, `Some(false)` when it was verified already, `None` when there is no such user or
/// the address changed since the link was made.
pub async fn mark_verified(state: &AppState, id: Id, hash: String) -> AppResult<Option<bool>> {
    let now = crate::db::now();
    let newly = state
        .db
        .run(move |conn| {
            let Some(user) = User::find(conn, id)? else {
                return Ok(None);
            };
            if !is_for(&user, &hash) {
                return Ok(None);
            }
            User::mark_email_verified(conn, id, now).map(Some)
        })
        .await?;
    if newly == Some(true) {
        super::sessions::record(state, AuthEvent::EmailVerified { user_id: id });
    }
    Ok(newly)
}

/// Whether `hash` is the hash of `user`'s current address.
pub fn is_for(user: &User, hash: &str) -> bool {
    sha1_hex(user.email.as_bytes()) == hash
}

/// What the signature covers: the path under `/api` (whichever prefix the link is followed
/// under) and the expiry.
fn signed_part(id: Id, hash: &str, expires: i64) -> String {
    format!("/api/email/verify/{id}/{hash}?expires={expires}")
}
