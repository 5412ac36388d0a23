//! JWTAuthController: register, login, me, refresh, logout (tymon/jwt-auth's quick start).

use std::time::Instant;

use actix_web::http::header::SET_COOKIE;
use actix_web::{CustomizeResponder, HttpResponse, Responder, web};
use chrono::Utc;
use serde::Deserialize;

use crate::audit;
use crate::auth::{
    AuthUser, RefreshableToken, TokenToRefresh, email_verification, login, refresh_cookie,
};
use crate::db;
use crate::error::responses::{CsrfErrors, FormRequestErrors, GuardErrors, Throttled, Unavailable};
use crate::error::{AppError, AppResult, AuthFailure, ErrorBody};
use crate::jwt::Claims;
use crate::metrics::Metrics;
use crate::models::{
    Added, BlacklistedToken, Ended, NewLogin, NewUser, Refreshed, Session, User, record_refresh,
    revoke_access_token,
};
use crate::requests::{ClientIp, LoginRequest, RegisterRequest, UserAgent, Validated};
use crate::resources::{MessageResource, RegisteredResource, TokenResource, UserResource};
use crate::state::AppState;

/// A token answer, with SPA cookie mode's cookies when it is on.
type TokenResponse = CustomizeResponder<TokenResource>;

/// `POST /register`: 201 with the new user, or 422 (also when the email is taken).
#[utoipa::path(post, path = "/api/register", tag = "auth",
    request_body(content((RegisterRequest = "application/json"), (RegisterRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 201, description = "The new user (Cache-Control: no-store)", body = RegisteredResource),
    FormRequestErrors, Throttled, Unavailable,
))]
pub async fn register(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    Validated(input): Validated<RegisterRequest>,
) -> AppResult<RegisteredResource> {
    state.limits.register_attempt(ip, Instant::now()).await?;
    let password_hash = state.passwords.hash(input.password.into_text()).await?;
    let new_user = NewUser::new(
        input.name.into_text(),
        input.email.into_text(),
        password_hash,
    );
    let user = state
        .db
        .run(move |conn| User::create(conn, new_user))
        .await?
        .ok_or_else(|| AppError::validation("email", "The email has already been taken."))?;
    if state.config.mail.verify_on_register {
        state
            .mailer
            .send(email_verification::mail(&state, &user, Utc::now()));
    }
    Ok(RegisteredResource {
        status: "success".into(),
        data: UserResource::from(user),
    })
}

/// `POST /login`: a token for the right email and password; the same 401, in about the same
/// time, for an unknown email and a wrong password.
#[utoipa::path(post, path = "/api/login", tag = "auth",
    request_body(content((LoginRequest = "application/json"), (LoginRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "A bearer token (Cache-Control: no-store); with REFRESH_COOKIE=true also the refresh and XSRF-TOKEN cookies", body = TokenResource),
    (status = 401, description = "invalid_credentials", body = ErrorBody),
    (status = 403, description = "email_not_verified (MUST_VERIFY_EMAIL=true, after the password check; a fresh verification link is mailed)", body = ErrorBody),
    FormRequestErrors, CsrfErrors, Throttled, Unavailable,
))]
pub async fn login(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    Validated(input): Validated<LoginRequest>,
) -> AppResult<TokenResponse> {
    let (email, password) = (input.email.into_text(), input.password.into_text());
    let user = login::attempt(&state, email, password, ip, "api")
        .await?
        .ok_or(AppError::InvalidCredentials)?;
    // After the password check, so it tells a guesser nothing.
    if state.config.mail.must_verify && user.email_verified_at.is_none() {
        email_verification::resend_after_refusal(&state, &user, ip).await;
        return Err(AppError::EmailNotVerified);
    }
    // The session lives as long as the chain can be refreshed (JWT_REFRESH_TTL, plus the leeway).
    let lifetime = chrono::Duration::minutes(i64::from(state.config.jwt.refresh_ttl_minutes))
        + chrono::Duration::seconds(i64::from(state.config.jwt.leeway_seconds));
    let session = Session::start(
        NewLogin {
            user_id: user.id,
            client_id: None,
            scopes: String::new(),
            user_agent,
            ip: ip.map(|ip| ip.to_string()),
            lifetime,
        },
        db::now(),
    );
    let mut claims = state.jwt.login_claims(user.id, Utc::now());
    claims.sid = Some(session.id);
    state
        .db
        .run(move |conn| Session::create(conn, &session))
        .await?;
    respond_with_token(&state, &claims)
}

/// `GET|POST /me`: the authenticated user.
#[utoipa::path(get, path = "/api/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, description = "The authenticated user (Cache-Control: no-store)", body = UserResource),
    GuardErrors, Unavailable,
))]
pub async fn me(auth: AuthUser) -> UserResource {
    UserResource::from(auth.user)
}

/// `GET|POST /refresh`: a new token for a valid or expired (but refreshable) one; the old jti is
/// blacklisted with its successor, and the session's `last_seen_at` moves. An already refreshed
/// token presented again is a concurrent request inside JWT_REFRESH_RACE_WINDOW (the same successor
/// within the grace period, else 401) and a replay after it: 401, and its whole session ends. In
/// cookie mode the token comes from the refresh cookie only, and both cookies rotate.
#[utoipa::path(post, path = "/api/refresh", tag = "auth", security(("bearer" = []), ("refresh_cookie" = [])), responses(
    (status = 200, description = "A new token; the old one is blacklisted (an OAuth access token is 401 token_invalid); with REFRESH_COOKIE=true both cookies rotate, and the token is taken from the cookie only", body = TokenResource),
    GuardErrors, CsrfErrors, Throttled, Unavailable,
))]
pub async fn refresh(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    token: TokenToRefresh,
) -> AppResult<TokenResponse> {
    if token.claims.is_oauth() {
        // Renewed only at POST /oauth/token, with its refresh token: rotation, reuse detection,
        // offline_access and the idle lifetime all live there.
        return Err(AuthFailure::TokenInvalid(
            "An OAuth access token is renewed at POST /oauth/token",
        )
        .into());
    }
    let hit = state.limits.refresh_hit(ip, Instant::now())?;
    if let Some(previous) = &token.previous {
        state.limits.count(hit).await?;
        return refreshed_again(&state, &token, previous, false).await;
    }
    let now = Utc::now();
    let successor = state.jwt.successor_claims(&token.claims, now);
    let entry = BlacklistedToken {
        jti: token.claims.jti,
        user_id: token.claims.sub,
        expires_at: state.jwt.blacklist_until(&token.claims),
        grace_until: state.jwt.grace_until(now),
        successor_jti: Some(successor.jti),
        successor_iat: Some(successor.iat),
        successor_exp: Some(successor.exp),
        created_at: db::now(),
    };
    let sid = token.claims.sid;
    let refreshed = state
        .db
        .run(move |conn| record_refresh(conn, &entry, sid, hit.pending()))
        .await?;
    let added = match refreshed {
        Refreshed::Throttled(retry_after) => return Err(AppError::TooManyRequests(retry_after)),
        Refreshed::Blacklisted(added) => added,
    };
    match added {
        Added::New => {
            audit::refreshed(token.user.id, "api");
            Metrics::count(&state.metrics.refreshes, "api");
            respond_with_token(&state, &successor)
        }
        // A concurrent refresh of the same token won the race: never a replay.
        Added::Existing(winner) => refreshed_again(&state, &token, &winner, true).await,
    }
}

/// A token that was refreshed already, presented again. Within the grace period: its successor
/// again. Within the race window (concurrent tabs, a retry): 401, and the session stays. Later: a
/// replay — 401, and the session ends, so the chain is dead whoever holds it.
async fn refreshed_again(
    state: &AppState,
    token: &TokenToRefresh,
    previous: &BlacklistedToken,
    lost_a_race: bool,
) -> AppResult<TokenResponse> {
    let now = db::now();
    if previous.in_grace(now) {
        return respond_with_successor(state, &token.claims, previous);
    }
    let window = state.jwt.race_window();
    let replayed =
        !lost_a_race && previous.successor().is_some() && previous.created_at + window <= now;
    if let (true, Some(sid)) = (replayed, token.claims.sid) {
        let ended = state
            .db
            .run(move |conn| Session::revoke(conn, sid, Ended::RefreshReuse, now))
            .await?;
        if ended {
            audit::refresh_reused(token.user.id, sid);
            Metrics::count(&state.metrics.reuse_detected, "api");
        }
    }
    Err(AuthFailure::TokenBlacklisted.into())
}

/// The `?scope=` of a logout.
#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    scope: Option<String>,
}

/// `GET|POST /logout[?scope=all]`: the token (valid, or expired inside its refresh window) is
/// blacklisted and its session ends, with every token of that login; with `scope=all` every
/// session of the user ends too. In cookie mode the refresh cookie may stand in for the header (it
/// wins when both come), and both cookies are cleared.
#[utoipa::path(post, path = "/api/logout", tag = "auth", security(("bearer" = []), ("refresh_cookie" = [])),
    params(("scope" = Option<String>, Query, description = "`all`: every token of the user")),
    responses(
    (status = 200, description = "Logged out; with REFRESH_COOKIE=true both cookies are cleared", body = MessageResource),
    (status = 400, description = "Malformed query string", body = ErrorBody),
    (status = 422, description = "Unknown scope", body = ErrorBody),
    GuardErrors, CsrfErrors, Unavailable,
))]
pub async fn logout(
    state: web::Data<AppState>,
    token: RefreshableToken,
    query: web::Query<LogoutQuery>,
) -> AppResult<HttpResponse> {
    let everywhere = match query.scope.as_deref() {
        None | Some("") => false,
        Some("all") => true,
        Some(_) => {
            return Err(AppError::validation(
                "scope",
                "The selected scope is invalid.",
            ));
        }
    };
    let now = db::now();
    let claims = &token.claims;
    let entry = BlacklistedToken::revoked(
        claims.jti,
        claims.sub,
        state.jwt.blacklist_until(claims),
        now,
    );
    let (user_id, sid) = (token.user.id, claims.sid);
    state
        .db
        .run(move |conn| revoke_access_token(conn, entry, sid, Ended::Logout, everywhere, now))
        .await?;
    audit::logged_out(user_id, everywhere);
    let scope = if everywhere { "all" } else { "token" };
    Metrics::count(&state.metrics.logouts, scope);
    let mut response = HttpResponse::Ok();
    for cookie in refresh_cookie::clear(&state) {
        response.append_header((SET_COOKIE, cookie.encoded().to_string()));
    }
    Ok(response.json(MessageResource {
        status: "success".into(),
        message: "Successfully logged out".into(),
    }))
}

/// `expires_in` is the token's lifetime, JWT_TTL × 60, as tymon answers it. In cookie mode the
/// same token also goes into the refresh cookie, for what is left of its refresh window.
fn respond_with_token(state: &AppState, claims: &Claims) -> AppResult<TokenResponse> {
    let token = state.jwt.encode(claims)?;
    let max_age = state.jwt.refreshable_for(claims, Utc::now());
    let cookies = refresh_cookie::issue(state, &token, max_age);
    let mut response = TokenResource::bearer(token, claims.exp - claims.iat).customize();
    for cookie in cookies {
        response = response.append_header((SET_COOKIE, cookie.encoded().to_string()));
    }
    Ok(response)
}

/// The successor recorded when `old` was refreshed, if the grace period still runs; otherwise the
/// old token is simply blacklisted.
fn respond_with_successor(
    state: &AppState,
    old: &Claims,
    entry: &BlacklistedToken,
) -> AppResult<TokenResponse> {
    match entry.successor() {
        Some((jti, iat, exp)) if entry.in_grace(db::now()) => {
            respond_with_token(state, &state.jwt.recorded_successor(old, jti, iat, exp))
        }
        _ => Err(AuthFailure::TokenBlacklisted.into()),
    }
}
