//! The pages the mailed links open when no SPA serves them (Laravel: Breeze's reset-password view
//! and the "verified" notice): compiled-in templates (`templates/`), no script at all, a strict
//! Content-Security-Policy, usable without JavaScript. The reset form applies the rules of
//! `POST /api/reset-password` and answers a page.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::page::{self, html, message};

use crate::auth::sessions;
use crate::error::{AppError, AppResult};
use crate::requests::{Body, BodyFormat, ClientIp, ResetPasswordRequest, validate};
use crate::state::AppState;

/// What the form's `_token` is bound to, besides the reset token.
const RESET_FORM: &[u8] = b"reset-password:";

/// `templates/reset_password.html`.
#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPasswordPage<'a> {
    app_name: &'a str,
    email: &'a str,
    token: &'a str,
    csrf: String,
    errors: FieldMessages,
}

/// The messages shown beside each field of the reset form.
#[derive(Default)]
struct FieldMessages {
    email: Vec<String>,
    token: Vec<String>,
    password: Vec<String>,
    password_confirmation: Vec<String>,
}

/// The query of a mailed reset link.
#[derive(Debug, serde::Deserialize)]
pub struct ResetLink {
    token: Option<String>,
    email: Option<String>,
}

/// `GET /reset-password?token=…&email=…`: the form, or 400 for a link cut short.
pub async fn reset_form(state: web::Data<AppState>, query: web::Query<ResetLink>) -> HttpResponse {
    let (Some(token), Some(email)) = (
        query.token.as_deref().filter(|t| !t.is_empty()),
        query.email.as_deref().filter(|e| !e.is_empty()),
    ) else {
        return message(
            &state,
            StatusCode::BAD_REQUEST,
            "Reset Password",
            "This link is incomplete: open the link from the mail again, or ask for a new one.",
        );
    };
    reset_page(
        &state,
        StatusCode::OK,
        email,
        token,
        FieldMessages::default(),
    )
}

/// `POST /reset-password` (the form): the new password, by the rules of
/// `POST /api/reset-password`; the form again with the errors beside their fields (422), or a
/// page saying it is done.
pub async fn reset(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    Body(body): Body,
) -> HttpResponse {
    let fields: HashMap<String, String> =
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .unwrap_or_default()
            .into_iter()
            .collect();
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let (token, email) = (field("token").trim(), field("email"));
    if !state
        .form_key
        .verify_base64url(&[RESET_FORM, token.as_bytes()].concat(), field("_token"))
    {
        return message(
            &state,
            StatusCode::from_u16(419).unwrap_or(StatusCode::FORBIDDEN),
            "Page Expired",
            "This form does not belong to this reset link: open the link from the mail again.",
        );
    }
    match reset_password(&state, ip, &body).await {
        Ok(()) => message(
            &state,
            StatusCode::OK,
            "Password Reset",
            "Your password has been reset, and you have been signed out everywhere. Sign in with your new password.",
        ),
        Err(AppError::Validation(errors)) => {
            let mut shown = FieldMessages::default();
            for (name, messages) in errors {
                match name.as_str() {
                    "password" => shown.password = messages,
                    "password_confirmation" => shown.password_confirmation = messages,
                    "token" => shown.token = messages,
                    _ => shown.email.extend(messages),
                }
            }
            reset_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                email,
                token,
                shown,
            )
        }
        Err(error) => failure(&state, &error),
    }
}

/// The reset itself, as `POST /api/reset-password` does it.
async fn reset_password(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    body: &[u8],
) -> AppResult<()> {
    let input: ResetPasswordRequest = validate(BodyFormat::Form, body)?;
    let (email, token) = (input.email.into_text(), input.token.into_text());
    sessions::reset_password(state, ip, email, &token, input.password.into_text()).await
}

/// `GET /email-verified`: where a verification link lands without an SPA.
pub async fn email_verified(state: web::Data<AppState>) -> HttpResponse {
    message(
        &state,
        StatusCode::OK,
        "Email Verified",
        "Your email address has been verified.",
    )
}

fn reset_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    token: &str,
    errors: FieldMessages,
) -> HttpResponse {
    let page = ResetPasswordPage {
        app_name: &state.config.app_name,
        email,
        token,
        csrf: state
            .form_key
            .sign_base64url(&[RESET_FORM, token.as_bytes()].concat()),
        errors,
    };
    html(status, page.render())
}

fn failure(state: &AppState, error: &AppError) -> HttpResponse {
    page::failure(state, "Reset Password", error)
}
