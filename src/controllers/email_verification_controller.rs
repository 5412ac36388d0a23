//! Email verification (Laravel: EmailVerificationNotificationController and
//! VerifyEmailController): a new link on request, and the signed link itself.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::{AuthUser, email_verification};
use crate::db::Id;
use crate::error::responses::{GuardErrors, Throttled, Unavailable};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::requests::ClientIp;
use crate::resources::MessageResource;
use crate::state::AppState;

/// `POST /email/verification-notification`: a new verification link for the caller's address,
/// unless it is verified already (then the same 200 says so and nothing is sent).
#[utoipa::path(post, path = "/api/email/verification-notification", tag = "email verification",
    security(("bearer" = [])), responses(
    (status = 200, description = "Sent, or already verified", body = MessageResource),
    GuardErrors, Throttled, Unavailable,
))]
pub async fn notify(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    auth: AuthUser,
) -> AppResult<MessageResource> {
    let user = auth.user;
    if user.email_verified_at.is_some() {
        return Ok(message("Your email address is already verified."));
    }
    state
        .limits
        .mail_request(ip, &user.email, Instant::now())
        .await?;
    state
        .mailer
        .send(email_verification::mail(&state, &user, Utc::now()));
    Ok(message(
        "A new verification link has been sent to your email address.",
    ))
}

/// The verification link's query: its expiry and signature.
#[derive(Debug, Deserialize)]
pub struct SignedQuery {
    expires: Option<String>,
    signature: Option<String>,
}

/// `GET /email/verify/{id}/{hash}?expires=…&signature=…`: marks the address verified (again is
/// fine) and redirects to `{FRONTEND_URL}/email-verified`, or answers 200 JSON to a client that
/// asks for JSON. A wrong or expired signature, or an address that changed since: 403.
#[utoipa::path(get, path = "/api/email/verify/{id}/{hash}", tag = "email verification",
    params(
        ("id" = String, Path, description = "The user's id"),
        ("hash" = String, Path, description = "SHA-1 of the address, hex"),
        ("expires" = i64, Query, description = "Unix time the link stops working"),
        ("signature" = String, Query, description = "HMAC-SHA256 of the path and expiry, hex"),
    ),
    responses(
    (status = 200, description = "Verified (Accept: application/json)", body = MessageResource),
    (status = 302, description = "Verified: to {FRONTEND_URL}/email-verified"),
    (status = 400, description = "Malformed query string", body = ErrorBody),
    (status = 403, description = "invalid_signature", body = ErrorBody),
    Unavailable,
))]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<SignedQuery>,
) -> AppResult<HttpResponse> {
    let (id, hash) = path.into_inner();
    let (id, expires, signature) = signed_link_parts(&id, &query)?;
    if !email_verification::is_signed(&state, (id, &hash, expires, &signature), Utc::now()) {
        return Err(AppError::InvalidSignature);
    }
    email_verification::mark_verified(&state, id, hash)
        .await?
        .ok_or(AppError::InvalidSignature)?;
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("json"));
    if wants_json {
        return Ok(HttpResponse::Ok().json(message("Your email address has been verified.")));
    }
    let to = format!("{}/email-verified", state.config.mail.frontend_url);
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, to))
        .finish())
}

/// A signed link's id, expiry and signature, each in the one form the link was made with (the
/// hyphenated id, the expiry in digits); anything else is a 403.
pub(super) fn signed_link_parts(id: &str, query: &SignedQuery) -> AppResult<(Id, i64, String)> {
    let id = uuid::Uuid::try_parse(id)
        .ok()
        .filter(|uuid| uuid.hyphenated().to_string() == id)
        .map(Id)
        .ok_or(AppError::InvalidSignature)?;
    let expires = query
        .expires
        .as_deref()
        .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|e| e.parse::<i64>().ok())
        .ok_or(AppError::InvalidSignature)?;
    let signature = query.signature.clone().unwrap_or_default();
    Ok((id, expires, signature))
}

fn message(text: &str) -> MessageResource {
    MessageResource {
        status: "success".into(),
        message: text.into(),
    }
}
