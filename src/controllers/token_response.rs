//! tymon's `respondWithToken`: a signed token in the body and, in SPA cookie mode, the refresh and
//! XSRF-TOKEN cookies beside it — for every answer that starts or renews a session.

use actix_web::http::header::SET_COOKIE;
use actix_web::{CustomizeResponder, Responder};
use chrono::Utc;

use crate::auth::refresh_cookie;
use crate::error::AppResult;
use crate::jwt::Claims;
use crate::resources::TokenResource;
use crate::state::AppState;

/// A token answer, with SPA cookie mode's cookies when it is on.
pub type TokenResponse<R = TokenResource> = CustomizeResponder<R>;

/// The token of `claims` as `wrap` puts it in a body. `expires_in` is the token's lifetime,
/// JWT_TTL × 60, as tymon answers it. In cookie mode the same token also goes into the refresh
/// cookie, for what is left of its refresh window.
pub fn respond_with<R: Responder>(
    state: &AppState,
    claims: &Claims,
    wrap: impl FnOnce(TokenResource) -> R,
) -> AppResult<TokenResponse<R>> {
    let token = state.jwt.encode(claims)?;
    let max_age = state.jwt.refreshable_for(claims, Utc::now());
    let cookies = refresh_cookie::issue(state, &token, max_age);
    let mut response = wrap(TokenResource::bearer(token, claims.exp - claims.iat)).customize();
    for cookie in cookies {
        response = response.append_header((SET_COOKIE, cookie.encoded().to_string()));
    }
    Ok(response)
}

/// The token of `claims`, alone in the body.
pub fn respond_with_token(state: &AppState, claims: &Claims) -> AppResult<TokenResponse> {
    respond_with(state, claims, |token| token)
}
