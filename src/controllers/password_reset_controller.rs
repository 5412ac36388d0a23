//! The password broker (Laravel Breeze: PasswordResetLinkController and NewPasswordController):
//! a reset link by mail, then a new password with its token. Neither answer tells whether an
//! address is registered.

use std::time::Instant;

use actix_web::web;

use crate::auth::sessions;
use crate::crypto::{random_token, sha256_hex};
use crate::db;
use crate::error::responses::{FormRequestErrors, Throttled, Unavailable};
use crate::error::{AppError, AppResult};
use crate::mail;
use crate::models::{PasswordReset, User};
use crate::requests::{ClientIp, ForgotPasswordRequest, ResetPasswordRequest, Validated};
use crate::resources::{MessageResource, StatusResource};
use crate::state::AppState;

/// What a query value must escape: everything but RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The one answer of forgot-password, registered address or not.
pub const LINK_SENT: &str = "If that address is registered, a reset link has been sent.";

/// `POST /forgot-password`: for a registered address a new reset token (the earlier one stops
/// working) and a mail with the link; the same 200, in about the same time, for any address.
#[utoipa::path(post, path = "/api/forgot-password", tag = "password reset",
    request_body(content((ForgotPasswordRequest = "application/json"), (ForgotPasswordRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "The same answer for every address", body = MessageResource),
    FormRequestErrors, Throttled, Unavailable,
))]
pub async fn forgot(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    Validated(input): Validated<ForgotPasswordRequest>,
) -> AppResult<MessageResource> {
    let email = input.email.into_text();
    state
        .limits
        .mail_request(ip, &email, Instant::now())
        .await?;
    let token = random_token().map_err(|e| AppError::Internal(e.into()))?;
    let token_hash = sha256_hex(token.as_bytes());
    let address = email.clone();
    // The same statements for any address: an unknown one gets a token too, which no mail carries
    // and no one can use (the prune drops it), so the two cannot be told apart by their time.
    let registered = state
        .db
        .run(move |conn| {
            let registered = User::find_by_email(conn, &address)?.is_some();
            PasswordReset::replace(conn, &address, &token_hash, db::now())?;
            Ok(registered)
        })
        .await?;
    if registered {
        let config = &state.config.mail;
        let link = format!(
            "{}/reset-password?token={token}&email={}",
            config.frontend_url,
            percent_encoding::utf8_percent_encode(&email, QUERY_VALUE)
        );
        let expire = config.password_reset_expire_minutes;
        state
            .mailer
            .send(mail::password_reset(&email, &link, expire));
    }
    Ok(MessageResource {
        status: "success".into(),
        message: LINK_SENT.into(),
    })
}

/// `POST /reset-password`: the token of the link, the address and a new password. The token is
/// used up; the password is re-hashed, and every session and token of the user ends. A wrong,
/// used or expired token is a 422 on `email`, as Laravel answers it.
#[utoipa::path(post, path = "/api/reset-password", tag = "password reset",
    request_body(content((ResetPasswordRequest = "application/json"), (ResetPasswordRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "Reset; every session of the user ended", body = StatusResource),
    FormRequestErrors, Throttled, Unavailable,
))]
pub async fn reset(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    Validated(input): Validated<ResetPasswordRequest>,
) -> AppResult<StatusResource> {
    let (email, token) = (input.email.into_text(), input.token.into_text());
    sessions::reset_password(&state, ip, email, &token, input.password.into_text()).await?;
    Ok(StatusResource {
        status: "success".into(),
    })
}
