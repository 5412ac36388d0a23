//! `GET|POST /oauth/userinfo` (OpenID Connect Core §5.3): the signed-in user's claims, for an
//! access token granted `openid`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::auth::AnyAudienceUser;
use crate::error::responses::{GuardErrors, Unavailable};
use crate::error::{AppError, ErrorBody};
use crate::oauth::openid::{OPENID, UserClaims, UserInfo};
use crate::oauth::scopes::Scopes;
use crate::resources::no_store;

/// `sub` and the claims the token's scopes allow (`profile`, `email`): the values its ID token
/// carried. Any resource's token will do; one without `openid` (or an `/api` login token) is 403
/// `insufficient_scope`.
#[utoipa::path(get, path = "/oauth/userinfo", tag = "oauth", security(("bearer" = [])), responses(
    (status = 200, description = "The user's claims (Cache-Control: no-store)", body = UserInfo),
    (status = 403, description = "insufficient_scope: the token was not granted openid (WWW-Authenticate: Bearer error=\"insufficient_scope\")", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn show(auth: AnyAudienceUser) -> Result<HttpResponse, AppError> {
    let scopes = auth
        .claims
        .scope
        .as_deref()
        .and_then(Scopes::parse)
        .unwrap_or_default();
    if !auth.claims.is_oauth() || !scopes.contains(OPENID) {
        return Err(AppError::InsufficientScope(
            "The access token was not granted the openid scope.",
        ));
    }
    let info = UserInfo {
        sub: auth.user.id,
        claims: UserClaims::of(&auth.user, &scopes),
    };
    Ok(no_store(StatusCode::OK, &info))
}
