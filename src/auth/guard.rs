//! The guards, as typed extractors (Laravel: the `auth:api` middleware). A handler's signature names
//! its guard, so `refresh` and `logout`, which take [`RefreshableToken`], can never end up behind
//! the expiry check by mistake. Each guard costs one database round trip.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::error::{AppError, AppResult, AuthFailure};
use crate::jwt::Claims;
use crate::models::{BlacklistedToken, User};
use crate::state::AppState;

/// An unexpired, unrevoked token and its user: what `auth:api` lets through.
#[derive(Debug)]
pub struct AuthUser {
    pub user: User,
    pub claims: Claims,
}

/// A token that may be refreshed or logged out: possibly expired, but inside the refresh window
/// (orig_iat + JWT_REFRESH_TTL) and not revoked.
#[derive(Debug)]
pub struct RefreshableToken {
    pub user: User,
    pub claims: Claims,
    /// Its blacklist row when it was refreshed already and is inside the grace period.
    pub in_grace: Option<BlacklistedToken>,
}

#[derive(Clone, Copy)]
enum Check {
    /// exp must not have passed.
    Access,
    /// exp may have passed; the refresh window must not.
    Refresh,
}

type GuardFuture<T> = Pin<Box<dyn Future<Output = AppResult<T>>>>;

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = GuardFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pending = authenticate(req, Check::Access);
        Box::pin(async move {
            let (user, claims, _) = pending.await?;
            Ok(Self { user, claims })
        })
    }
}

impl FromRequest for RefreshableToken {
    type Error = AppError;
    type Future = GuardFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pending = authenticate(req, Check::Refresh);
        Box::pin(async move {
            let (user, claims, in_grace) = pending.await?;
            Ok(Self {
                user,
                claims,
                in_grace,
            })
        })
    }
}

/// Everything both guards check, in order of cost: header, signature and claims, times, then one
/// query for the user (with its tokens_valid_after), its blacklist row and its OAuth session.
fn authenticate(
    req: &HttpRequest,
    check: Check,
) -> GuardFuture<(User, Claims, Option<BlacklistedToken>)> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer_token(req);
    Box::pin(async move {
        let state = state.ok_or_else(|| AppError::Internal("AppState is not registered".into()))?;
        let now = Utc::now();
        let claims = state.jwt.decode(&token?, now)?;
        match check {
            Check::Access if state.jwt.is_expired(&claims, now) => {
                return Err(AuthFailure::TokenExpired.into());
            }
            Check::Refresh if !state.jwt.is_refreshable(&claims, now) => {
                return Err(AuthFailure::RefreshExpired.into());
            }
            _ => {}
        }
        let (sub, jti, sid) = (claims.sub, claims.jti, claims.sid);
        let (user, entry, session) = state
            .db
            .run(move |conn| User::find_for_token(conn, sub, jti, sid))
            .await?
            .ok_or(AuthFailure::UserNotFound)?;
        let now = now.naive_utc();
        let revoked_everywhere = user
            .tokens_valid_after
            .is_some_and(|cutoff| issued_before(&claims, cutoff));
        let session_ended = sid.is_some() && !session.is_some_and(|s| s.is_active(now));
        if revoked_everywhere || session_ended {
            return Err(AuthFailure::TokenBlacklisted.into());
        }
        match entry {
            Some(entry) if !entry.in_grace(now) => Err(AuthFailure::TokenBlacklisted.into()),
            entry => Ok((user, claims, entry)),
        }
    })
}

/// Whether the token belongs to a login older than `cutoff` or was itself issued before it
/// (to the millisecond, from its UUIDv7 jti; a token of the same millisecond counts as before: a
/// login right after `logout?scope=all` takes at least a bcrypt check, so it is always later).
fn issued_before(claims: &Claims, cutoff: NaiveDateTime) -> bool {
    let cutoff: DateTime<Utc> = cutoff.and_utc();
    claims.orig_iat() < cutoff.timestamp() || claims.issued_at_ms() <= cutoff.timestamp_millis()
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
