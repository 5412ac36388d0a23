//! The guards, as typed extractors (Laravel: the `auth:api` middleware). A handler's signature names
//! its guard, so `logout` ([`RefreshableToken`]) and `refresh` ([`TokenToRefresh`]) can never end
//! up behind the expiry check by mistake. Each costs one read (on SQLite on the worker's own
//! connection; `TokenToRefresh` reads in the refresh's own statement), plus the write that ends a
//! session where a replaced token is theft (`sessions::Presented`). Only `logout` and `refresh`
//! read SPA cookie mode's refresh cookie: elsewhere a cookie never stands in for a bearer token.

mod admin;
mod any_audience;

pub use admin::{ADMIN_ROLE, AdminUser};
pub use any_audience::{AnyAudienceUser, active_access_token};

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;

use super::sessions::{self, Presented, Standing};
use super::token_source::{Source, token_from};
use crate::error::{AppError, AppResult, AuthFailure};
use crate::jwt::Claims;
use crate::models::{Session, User, find_for_laravel_token};
use crate::state::AppState;

/// An unexpired, unrevoked token and its user: what `auth:api` lets through. In header mode
/// (`REFRESH_COOKIE=false`) a replaced token back after the race window ends its session on the
/// way (see [`sessions::Standing::is_theft`]); it is refused either way.
#[derive(Debug)]
pub struct AuthUser {
    pub user: User,
    pub claims: Claims,
}

/// A token that may be logged out: possibly expired, but inside the refresh window
/// (orig_iat + JWT_REFRESH_TTL), its session active, and not blacklisted (or in its grace period)
/// — or `replayed`: refreshed by someone else and past its grace, evidence of theft that logout
/// answers by ending the session.
#[derive(Debug)]
pub struct RefreshableToken {
    pub user: User,
    pub claims: Claims,
    /// Refreshed by someone else already: its session ends as a replay's does.
    pub replayed: bool,
}

/// A token that may end every session of its user (`DELETE /sessions`): as [`AuthUser`], or in
/// header mode a replaced one, which the owner judges by its `standing`.
#[derive(Debug)]
pub struct SignOutToken {
    pub user: User,
    pub claims: Claims,
    /// `Usable`, or `Replaced`: refreshed by someone else already.
    pub standing: Standing,
}

/// A token presented to `refresh`, checked as far as it can be without the database: signed, and
/// inside its refresh window (possibly expired). Its user, session and blacklist row are read by
/// the refresh itself, in the same trip as its writes (`sessions::refresh`).
#[derive(Debug)]
pub struct TokenToRefresh {
    pub claims: Claims,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    /// exp must not have passed; a request of the session's owner (moves `last_seen_at`).
    Access,
    /// As `Access`, for any audience, asked by a third party (introspection, UserInfo):
    /// `last_seen_at` stays.
    Inspect,
    /// exp may have passed; the refresh window must not.
    Refresh,
}

type GuardFuture<T> = Pin<Box<dyn Future<Output = AppResult<T>>>>;

/// What every guard has checked: the token, its user, its session; and its blacklist row's verdict.
struct Checked {
    user: User,
    claims: Claims,
    standing: Standing,
    /// `REFRESH_COOKIE=false`.
    header_mode: bool,
}

impl Checked {
    /// As [`Self::not_blacklisted`], except that a replaced token is handed over (as `true`) when
    /// presenting it `at` this route is theft, for the route to end its session.
    fn usable_or_replayed(self, at: Presented) -> AppResult<(User, Claims, bool)> {
        if self.standing.is_theft(at, self.header_mode) {
            return Ok((self.user, self.claims, true));
        }
        let (user, claims) = self.not_blacklisted()?;
        Ok((user, claims, false))
    }

    /// Refuses a blacklisted token, unless it is inside its grace period.
    fn not_blacklisted(self) -> AppResult<(User, Claims)> {
        match self.standing {
            Standing::Usable => Ok((self.user, self.claims)),
            Standing::Replaced { .. } | Standing::Blacklisted => {
                Err(AuthFailure::TokenBlacklisted.into())
            }
        }
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = GuardFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pending = authenticate(req, Source::Header, Check::Access);
        Box::pin(async move {
            let (state, checked) = pending.await?;
            if let (true, Some(sid)) = (
                checked
                    .standing
                    .is_theft(Presented::Access, checked.header_mode),
                checked.claims.sid,
            ) {
                sessions::end_replayed(&state, checked.user.id, sid).await?;
            }
            let (user, claims) = checked.not_blacklisted()?;
            Ok(Self { user, claims })
        })
    }
}

impl FromRequest for RefreshableToken {
    type Error = AppError;
    type Future = GuardFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pending = authenticate(req, Source::RefreshCookieOrHeader, Check::Refresh);
        Box::pin(async move {
            let checked = pending.await?.1;
            let (user, claims, replayed) = checked.usable_or_replayed(Presented::Logout)?;
            Ok(Self {
                user,
                claims,
                replayed,
            })
        })
    }
}

impl FromRequest for SignOutToken {
    type Error = AppError;
    type Future = GuardFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pending = authenticate(req, Source::Header, Check::Access);
        Box::pin(async move {
            let checked = pending.await?.1;
            let standing = checked.standing;
            let (user, claims, _) = checked.usable_or_replayed(Presented::SignOut)?;
            Ok(Self {
                user,
                claims,
                standing,
            })
        })
    }
}

impl FromRequest for TokenToRefresh {
    type Error = AppError;
    type Future = std::future::Ready<AppResult<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        std::future::ready(match state {
            None => Err(AppError::Internal("AppState is not registered".into())),
            Some(state) => token_from(Source::RefreshCookie, state, req)
                .and_then(|token| checked_claims(state, &token, Check::Refresh))
                .map(|claims| Self { claims }),
        })
    }
}

/// Everything the guards check, in order of cost: header, signature and claims, times, then one
/// query for the user (with its tokens_valid_after), its blacklist row and its session. The access
/// guard also moves the session's `last_seen_at`, at most once a minute (then a second statement).
fn authenticate(
    req: &HttpRequest,
    source: Source,
    check: Check,
) -> GuardFuture<(web::Data<AppState>, Checked)> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = state.as_deref().map(|state| token_from(source, state, req));
    Box::pin(async move {
        let (Some(state), Some(token)) = (state, token) else {
            return Err(AppError::Internal("AppState is not registered".into()));
        };
        let checked = verify(&state, &token?, check).await?;
        Ok((state, checked))
    })
}

/// The claims of `token` when its signature holds and its times allow `check`.
fn checked_claims(state: &AppState, token: &str, check: Check) -> AppResult<Claims> {
    let now = Utc::now();
    let claims = state.jwt.decode(token, now)?;
    // Introspection answers for every resource server; the `/api` routes are one of them.
    if check != Check::Inspect && !for_this_api(state, &claims) {
        return Err(
            AuthFailure::TokenInvalid("The token is meant for another audience (aud)").into(),
        );
    }
    match check {
        Check::Access | Check::Inspect if state.jwt.is_expired(&claims, now) => {
            Err(AuthFailure::TokenExpired.into())
        }
        // An OAuth token's login lives OAUTH_REFRESH_TTL, not JWT_REFRESH_TTL: its session says.
        Check::Refresh if !claims.is_oauth() && !state.jwt.is_refreshable(&claims, now) => {
            Err(AuthFailure::RefreshExpired.into())
        }
        _ => Ok(claims),
    }
}

/// Whether the `/api` routes are the token's audience: any token of the `/api` flow; an OAuth access
/// token whose `aud` is OAUTH_DEFAULT_RESOURCE, or its client (how tokens were issued before
/// resource indicators, accepted until they expire).
fn for_this_api(state: &AppState, claims: &Claims) -> bool {
    match (&claims.aud, claims.client_id) {
        (Some(aud), Some(client)) => {
            *aud == state.config.oauth.default_resource || *aud == client.to_string()
        }
        _ => true,
    }
}

async fn verify(state: &AppState, token: &str, check: Check) -> AppResult<Checked> {
    let mut claims = checked_claims(state, token, check)?;
    let (sub, jti, sid) = (claims.sub, claims.jti, claims.sid);
    let seen = crate::db::now();
    let owner = match claims.laravel_sub.clone() {
        None => {
            state
                .db
                .read(move |conn| User::find_for_token(conn, sub, jti, sid))
                .await?
        }
        // The Laravel app's token names its user by the Laravel id.
        Some(legacy_id) => {
            state
                .db
                .read(move |conn| find_for_laravel_token(conn, &legacy_id, jti))
                .await?
        }
    };
    if let Some((user, ..)) = &owner {
        claims.sub = user.id;
    }
    let alive = sessions::alive(state, &claims, owner, seen)?;
    if let Some(session) = &alive.session
        && check == Check::Access
        && session.is_active(seen)
        && session.is_stale(seen)
    {
        // A write, once a minute per session: on the pool, never on the worker.
        let id = session.id;
        state
            .db
            .run(move |conn| Session::touch(conn, id, seen))
            .await?;
    }
    Ok(Checked {
        user: alive.user,
        claims,
        standing: alive.standing,
        header_mode: state.config.refresh_cookie.is_none(),
    })
}
