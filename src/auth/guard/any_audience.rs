//! The guards for a token of any audience (`aud`): what a third party asks about a token —
//! introspection for a resource server, UserInfo for a relying party — rather than the `/api`
//! routes, which take only their own.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::{Check, GuardFuture, authenticate, verify};
use crate::auth::token_source::Source;
use crate::error::{AppError, AppResult};
use crate::jwt::Claims;
use crate::models::User;
use crate::state::AppState;

/// An access token for any resource this server issues tokens for, and its user: what the OpenID
/// Provider's own endpoint, UserInfo, accepts (OpenID Connect Core §5.3), whatever `aud` the
/// token was granted.
#[derive(Debug)]
pub struct AnyAudienceUser {
    pub user: User,
    pub claims: Claims,
}

impl FromRequest for AnyAudienceUser {
    type Error = AppError;
    type Future = GuardFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pending = authenticate(req, Source::Header, Check::Inspect);
        Box::pin(async move {
            let (_, checked) = pending.await?;
            let (user, claims) = checked.not_blacklisted()?;
            Ok(Self { user, claims })
        })
    }
}

/// What `auth:api` would let through for `token`, without a request (RFC 7662 introspection asks
/// exactly this): the token's user and claims, or why not.
pub async fn active_access_token(state: &AppState, token: &str) -> AppResult<(User, Claims)> {
    verify(state, token, Check::Inspect)
        .await?
        .not_blacklisted()
}
