//! The authorization pages: their words, their templates, the cookies they set and the tokens
//! their forms carry.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::sessions;
use crate::config::PageText;
use crate::controllers::page::html;
use crate::crypto::random_token;
use crate::models::AuthorizationSession;
use crate::oauth::authorization::AuthorizationRequest;
use crate::state::AppState;

/// The browser's sign-in (its value is the `oauth_authorization_sessions` row's, by hash).
pub(super) const SESSION_COOKIE: &str = "oauth_session";
/// What the sign-in form's `_token` is bound to before anyone has signed in.
pub(super) const CSRF_COOKIE: &str = "oauth_csrf";
/// Where the pages' cookies are sent: `/oauth/authorize` and its forms, and `/oauth/logout`.
pub(super) const COOKIE_PATH: &str = "/oauth";

#[derive(Template)]
#[template(path = "oauth/sign_in.html")]
struct SignInPage<'a> {
    app_name: &'a str,
    client_name: &'a str,
    request: &'a str,
    csrf: String,
    email: &'a str,
    error: Option<&'a str>,
    text: &'a PageText,
}

#[derive(Template)]
#[template(path = "oauth/two_factor.html")]
struct TwoFactorPage<'a> {
    app_name: &'a str,
    request: &'a str,
    csrf: String,
    challenge_token: &'a str,
    error: Option<&'a str>,
    text: &'a PageText,
}

#[derive(Template)]
#[template(path = "oauth/consent.html")]
struct ConsentPage<'a> {
    app_name: &'a str,
    client_name: &'a str,
    scopes: Vec<&'a str>,
    request: &'a str,
    csrf: String,
    text: &'a PageText,
}

pub(super) fn sign_in_page(
    state: &AppState,
    req: &HttpRequest,
    request: &AuthorizationRequest,
    query: &str,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    // The form's token is bound to a cookie of this browser: a page of another site cannot post it.
    let csrf = cookie(state, req, CSRF_COOKIE)
        .filter(|value| value.len() == 43)
        .or_else(|| random_token().ok())
        .unwrap_or_default();
    let page = SignInPage {
        app_name: &state.config.app_name,
        client_name: &request.client.name,
        request: query,
        csrf: state.form_key.sign_base64url(&bound("sign-in", &csrf)),
        email,
        error,
        text: &state.config.oauth.page_text,
    };
    let mut response = html(status, page.render());
    let cookie = page_cookie(state, CSRF_COOKIE, csrf, 3600);
    if let Ok(value) = cookie.encoded().to_string().parse::<header::HeaderValue>() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The two-factor page; its `_token` is bound to the challenge and to this browser's cookie
/// (`csrf`), so that a challenge of someone else's cannot be answered in it (login CSRF).
pub(super) fn two_factor_page(
    state: &AppState,
    query: &str,
    challenge_token: &str,
    csrf: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let page = TwoFactorPage {
        app_name: &state.config.app_name,
        request: query,
        csrf: state
            .form_key
            .sign_base64url(&two_factor_binding(csrf, challenge_token)),
        challenge_token,
        error,
        text: &state.config.oauth.page_text,
    };
    html(status, page.render())
}

/// The consent page: the client, each scope asked for, Allow and Deny; its `_token` is bound to
/// the sign-in and the request.
pub(super) fn consent_page(
    state: &AppState,
    request: &AuthorizationRequest,
    signed_in: &AuthorizationSession,
    query: &str,
) -> HttpResponse {
    let page = ConsentPage {
        app_name: &state.config.app_name,
        client_name: &request.client.name,
        scopes: request.scopes.iter().collect(),
        request: query,
        csrf: state
            .form_key
            .sign_base64url(&consent_binding(signed_in, query)),
        text: &state.config.oauth.page_text,
    };
    html(StatusCode::OK, page.render())
}

#[derive(Template)]
#[template(path = "oauth/sign_out.html")]
struct SignOutPage<'a> {
    app_name: &'a str,
    csrf: String,
    fields: Vec<(&'a str, &'a str)>,
    text: &'a PageText,
}

/// The sign-out confirmation: one button, whose form carries `fields` (the logout request's
/// parameters) and a `_token` bound to the browser's sign-in `signed_in` (its cookie's value).
pub(super) fn sign_out_page(
    state: &AppState,
    signed_in: &str,
    fields: Vec<(&str, &str)>,
) -> HttpResponse {
    let page = SignOutPage {
        app_name: &state.config.app_name,
        csrf: state.form_key.sign_base64url(&bound("sign-out", signed_in)),
        fields,
        text: &state.config.oauth.page_text,
    };
    html(StatusCode::OK, page.render())
}

/// The `Set-Cookie` values that end the browser's sign-in: at the cookie's path, and at the
/// narrower path it had before `/oauth/logout` needed it.
pub(super) fn signed_out_cookies(state: &AppState) -> Vec<Cookie<'static>> {
    let mut legacy = page_cookie(state, SESSION_COOKIE, String::new(), 0);
    legacy.set_path("/oauth/authorize");
    vec![page_cookie(state, SESSION_COOKIE, String::new(), 0), legacy]
}

/// What the consent form's `_token` signs.
pub(super) fn consent_binding(signed_in: &AuthorizationSession, query: &str) -> Vec<u8> {
    let to = [signed_in.id_hash.as_bytes(), b":", query.as_bytes()].concat();
    bound_bytes("consent", &to)
}

pub(super) fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let seconds = sessions::BROWSER_SIGN_IN_LIFETIME.num_seconds();
    page_cookie(state, SESSION_COOKIE, value, seconds)
}

/// An HttpOnly, SameSite=Lax, host-only cookie for these routes (Secure when APP_URL is https).
pub(super) fn page_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    seconds: i64,
) -> Cookie<'static> {
    Cookie::build(cookie_name(state, name), value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_https(state))
        .max_age(actix_web::cookie::time::Duration::seconds(seconds))
        .finish()
}

pub(super) fn cookie(state: &AppState, req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(&cookie_name(state, name))
        .map(|cookie| cookie.value().to_owned())
}

/// A page cookie's name: with the `__Secure-` prefix when APP_URL is https, so that neither a
/// sibling subdomain nor plain http can plant one (RFC 6265bis §4.1.3).
fn cookie_name(state: &AppState, name: &str) -> String {
    if is_https(state) {
        format!("__Secure-{name}")
    } else {
        name.to_owned()
    }
}

fn is_https(state: &AppState) -> bool {
    state.config.app_url.starts_with("https://")
}

/// What a form's `_token` signs: the form's name and what it is bound to.
pub(super) fn bound(form: &str, to: &str) -> Vec<u8> {
    bound_bytes(form, to.as_bytes())
}

pub(super) fn bound_bytes(form: &str, to: &[u8]) -> Vec<u8> {
    [b"oauth ", form.as_bytes(), b":", to].concat()
}

/// A form body's fields (the last of a repeated name).
pub(super) fn form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// What the two-factor form's `_token` signs: this browser's cookie and the challenge.
pub(super) fn two_factor_binding(csrf: &str, challenge_token: &str) -> Vec<u8> {
    bound("two-factor", &format!("{csrf}:{challenge_token}"))
}
