//! JWTAuthController: register, login, me, refresh, logout (tymon/jwt-auth's quick start).

use std::time::Instant;

use actix_web::http::header::SET_COOKIE;
use actix_web::{Either, HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::token_response::{TokenResponse, respond_with_token};
use crate::auth::sessions::{self, Audience, Device};
use crate::auth::{
    AuthUser, RefreshableToken, TokenToRefresh, email_verification, login, refresh_cookie,
};
use crate::error::responses::{CsrfErrors, FormRequestErrors, GuardErrors, Throttled, Unavailable};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::jwt::Proof;
use crate::models::{NewUser, User};
use crate::requests::{ClientIp, LoginRequest, RegisterRequest, UserAgent, Validated};
use crate::resources::{
    LoginAnswer, MessageResource, RegisteredResource, TokenResource, TwoFactorChallengeResource,
    UserResource,
};
use crate::state::AppState;

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

/// `POST /login`: a token for the right email and password, or for a user with two-factor on a
/// challenge to answer at `/two-factor-challenge`; the same 401, in about the same time, for an
/// unknown email and a wrong password.
#[utoipa::path(post, path = "/api/login", tag = "auth",
    request_body(content((LoginRequest = "application/json"), (LoginRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "A bearer token (Cache-Control: no-store); with REFRESH_COOKIE=true also the refresh and XSRF-TOKEN cookies. For a user with two-factor on, no token and no session: `{\"two_factor\":true,\"challenge_token\",\"expires_in\":300}`", body = LoginAnswer),
    (status = 401, description = "invalid_credentials", body = ErrorBody),
    (status = 403, description = "email_not_verified (MUST_VERIFY_EMAIL=true, after the password check; a fresh verification link is mailed)", body = ErrorBody),
    FormRequestErrors, CsrfErrors, Throttled, Unavailable,
))]
pub async fn login(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    Validated(input): Validated<LoginRequest>,
) -> AppResult<Either<TokenResponse, TwoFactorChallengeResource>> {
    let (email, password) = (input.email.into_text(), input.password.into_text());
    let user = login::attempt(&state, email, password, ip, "api")
        .await?
        .ok_or(AppError::InvalidCredentials)?;
    if email_verification::refuses_unverified(&state, &user, ip).await {
        return Err(AppError::EmailNotVerified);
    }
    let device = Device { user_agent, ip };
    if user.has_two_factor() {
        let challenge = sessions::challenge(&state, &user, &device).await?;
        return Ok(Either::Right(TwoFactorChallengeResource {
            two_factor: true,
            challenge_token: challenge.token,
            expires_in: challenge.expires_in,
        }));
    }
    let claims =
        sessions::start(&state, &user, Audience::Api, Proof::Password, &device, None).await?;
    respond_with_token(&state, &claims).map(Either::Left)
}

/// `GET|POST /me`: the authenticated user.
#[utoipa::path(get, path = "/api/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, description = "The authenticated user (Cache-Control: no-store)", body = UserResource),
    GuardErrors, Unavailable,
))]
pub async fn me(auth: AuthUser) -> UserResource {
    UserResource::from(auth.user)
}

/// `GET|POST /refresh`: a new token for a valid or expired (but refreshable) one, by the rules of
/// `sessions::refresh` (the grace period, the race window, replays). In cookie mode the token
/// comes from the refresh cookie only, and both cookies rotate.
#[utoipa::path(post, path = "/api/refresh", tag = "auth", security(("bearer" = []), ("refresh_cookie" = [])), responses(
    (status = 200, description = "A new token; the old one is blacklisted (an OAuth access token is 401 token_invalid); with REFRESH_COOKIE=true both cookies rotate, and the token is taken from the cookie only", body = TokenResource),
    GuardErrors, CsrfErrors, Throttled, Unavailable,
))]
pub async fn refresh(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    token: TokenToRefresh,
) -> AppResult<TokenResponse> {
    let successor = sessions::refresh(&state, &token.claims, ip).await?;
    respond_with_token(&state, &successor)
}

/// `GET /csrf-cookie` (and Sanctum's `GET /sanctum/csrf-cookie`): 204, and in cookie mode
/// `XSRF-TOKEN` (see `refresh_cookie::xsrf_only`), so SPA code written for Sanctum, which asks
/// for it before logging in, runs unchanged.
#[utoipa::path(get, path = "/api/csrf-cookie", tag = "auth", responses(
    (status = 204, description = "No content; with REFRESH_COOKIE=true the XSRF-TOKEN cookie: bound to the refresh cookie sent, else a placeholder the next login replaces, and never over an XSRF-TOKEN the request carries without a refresh cookie"),
    CsrfErrors,
))]
pub async fn csrf_cookie(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let mut response = HttpResponse::NoContent();
    for cookie in refresh_cookie::xsrf_only(&state, &req)? {
        response.append_header((SET_COOKIE, cookie.encoded().to_string()));
    }
    Ok(response.finish())
}

/// The `?scope=` of a logout.
#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    scope: Option<String>,
}

/// `GET|POST /logout[?scope=all]`: the token (valid, or expired inside its refresh window) is
/// blacklisted and its session ends, with every token of that login; with `scope=all` every
/// session of the user ends too. A replaced token back after the race window (the thief
/// refreshed first) ends its session the same way. In cookie mode the refresh cookie may stand in
/// for the header (it wins when both come), and both cookies are cleared.
#[utoipa::path(post, path = "/api/logout", tag = "auth", security(("bearer" = []), ("refresh_cookie" = [])),
    params(("scope" = Option<String>, Query, pattern = "^(all)?$", description = "`all`: every token of the user")),
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
    sessions::logout(
        &state,
        &token.user,
        &token.claims,
        token.replayed,
        everywhere,
    )
    .await?;
    let mut response = HttpResponse::Ok();
    for cookie in refresh_cookie::clear(&state) {
        response.append_header((SET_COOKIE, cookie.encoded().to_string()));
    }
    Ok(response.json(MessageResource {
        status: "success".into(),
        message: "Successfully logged out".into(),
    }))
}
