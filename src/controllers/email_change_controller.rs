//! Changing the account's email: `PUT /user/email` mails a signed link to the new address (and a
//! notice to the old one); opening the link makes the change.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::email_verification_controller::{SignedQuery, signed_link_parts};
use crate::auth::AuthUser;
use crate::auth::email_change;
use crate::error::responses::{FormRequestErrors, GuardErrors, Throttled, Unavailable};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::requests::{ChangeEmailRequest, ClientIp, Validated};
use crate::resources::{MessageResource, UserResource, no_store};
use crate::state::AppState;

/// `PUT /user/email`: `email` and `current_password` → 202; the address changes only when the
/// link mailed to it is opened. Login keeps working with the old address until then.
#[utoipa::path(put, path = "/api/user/email", tag = "account", security(("bearer" = [])),
    request_body(content((ChangeEmailRequest = "application/json"), (ChangeEmailRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 202, description = "The link is on its way to the new address", body = MessageResource),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn request(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    auth: AuthUser,
    Validated(input): Validated<ChangeEmailRequest>,
) -> AppResult<HttpResponse> {
    let email = input.email.into_text();
    let password = input.current_password.into_option();
    email_change::request(&state, &auth.user, &auth.claims, email, password, ip).await?;
    let answer = MessageResource {
        status: "success".into(),
        message: "A link to confirm the new address has been sent to it.".into(),
    };
    Ok(no_store(StatusCode::ACCEPTED, &answer))
}

/// `GET /email/change/{id}/{hash}?expires=…&signature=…`: the new address becomes the account's,
/// verified → 200 USER. A wrong or expired signature, or a change replaced since: 403
/// `invalid_signature`; an address another account took meanwhile: 422 on `email`.
#[utoipa::path(get, path = "/api/email/change/{id}/{hash}", tag = "account",
    params(
        ("id" = String, Path, description = "The user's id"),
        ("hash" = String, Path, description = "SHA-1 of the new address, hex"),
        ("expires" = i64, Query, description = "Unix time the link stops working"),
        ("signature" = String, Query, description = "HMAC-SHA256 of the path and expiry, hex"),
    ),
    responses(
    (status = 200, description = "The address changed (Cache-Control: no-store)", body = UserResource),
    (status = 400, description = "Malformed query string", body = ErrorBody),
    (status = 403, description = "invalid_signature", body = ErrorBody),
    (status = 422, description = "validation_failed: the address was taken meanwhile", body = ErrorBody),
    Unavailable,
))]
pub async fn confirm(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<SignedQuery>,
) -> AppResult<UserResource> {
    let (id, hash) = path.into_inner();
    let (id, expires, signature) = signed_link_parts(&id, &query)?;
    if !email_change::is_signed(&state, (id, &hash, expires, &signature), Utc::now()) {
        return Err(AppError::InvalidSignature);
    }
    let user = email_change::confirm(&state, id, hash)
        .await?
        .ok_or(AppError::InvalidSignature)?;
    Ok(UserResource::from(user))
}
