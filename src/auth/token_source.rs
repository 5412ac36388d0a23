//! Where a guard finds the token: `Authorization: Bearer`, or in SPA cookie mode the refresh
//! cookie (checked against its XSRF-TOKEN), as each guard's `Source` says.

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;

use super::refresh_cookie;
use crate::error::{AppResult, AuthFailure};
use crate::state::AppState;

/// Where a guard takes the token from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// `Authorization: Bearer`, always.
    Header,
    /// In cookie mode the refresh cookie only (a script that stole the in-memory token cannot
    /// extend it); otherwise the header.
    RefreshCookie,
    /// In cookie mode the refresh cookie when it comes, else the header; otherwise the header.
    RefreshCookieOrHeader,
}

/// The token a guard checks, from where `source` says.
pub(super) fn token_from(source: Source, state: &AppState, req: &HttpRequest) -> AppResult<String> {
    let cookie_mode = state.config.refresh_cookie.is_some();
    match source {
        Source::RefreshCookie if cookie_mode => refresh_cookie::checked_token(state, req)?
            .ok_or_else(|| AuthFailure::TokenNotProvided.into()),
        Source::RefreshCookieOrHeader if cookie_mode => {
            match refresh_cookie::checked_token(state, req)? {
                Some(token) => Ok(token),
                None => Ok(bearer_token(req)?),
            }
        }
        _ => Ok(bearer_token(req)?),
    }
}

/// The token of `Authorization: Bearer <token>` (scheme in any case). Never read from the URL.
fn bearer_token(req: &HttpRequest) -> Result<String, AuthFailure> {
    let value = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthFailure::TokenNotProvided)?;
    match value.trim().split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(AuthFailure::TokenNotProvided),
    }
}
