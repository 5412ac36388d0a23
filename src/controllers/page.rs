//! What every built-in page shares (the reset page, the OAuth sign-in and consent pages): the
//! layout's stylesheet, the one-sentence message page, and the headers of a page — a strict
//! Content-Security-Policy, no script at all, never cached, never in a Referer.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::error::AppError;
use crate::state::AppState;

/// Nothing but the page's own stylesheet; never in a frame. No `form-action`: browsers apply it
/// to the redirect after a post too, and the consent form's answer redirects to the client.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'";
/// The pages' stylesheet, compiled in.
const STYLESHEET: &str = include_str!("../../templates/pages.css");

/// `templates/message.html`: a title and one sentence.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    app_name: &'a str,
    title: &'a str,
    message: &'a str,
    failed: bool,
}

/// `GET /pages.css`.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(STYLESHEET)
}

/// A page of `title` and one sentence, `text`, with `status`.
pub fn message(state: &AppState, status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let page = MessagePage {
        app_name: &state.config.app_name,
        title,
        message: text,
        failed: !status.is_success(),
    };
    html(status, page.render())
}

/// `error` as a page titled `title`, with the status and the headers its JSON answer would carry
/// (`Retry-After`).
pub fn failure(state: &AppState, title: &str, error: &AppError) -> HttpResponse {
    let json = error.error_response();
    let mut page = message(state, json.status(), title, &error.message());
    if let Some(wait) = json.headers().get(header::RETRY_AFTER) {
        page.headers_mut().insert(header::RETRY_AFTER, wait.clone());
    }
    page
}

/// A rendered page with the headers every page carries; a template that failed to render is the
/// JSON 500 (it cannot, short of running out of memory).
pub fn html(status: StatusCode, rendered: askama::Result<String>) -> HttpResponse {
    let body = match rendered {
        Ok(body) => body,
        Err(error) => return AppError::Internal(error.into()).error_response(),
    };
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        // Tokens travel in these pages' URLs: never in a Referer, never in a cache.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    response.body(body)
}
