//! `POST /oauth/token` and `POST /oauth/revoke` (Passport's AccessTokenController; RFC 6749, RFC 7009).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use crate::auth::sessions;
use crate::error::responses::{BodyTransportErrors, Throttled, Unavailable};
use crate::models::{OAuthClient, OAuthRefreshToken};
use crate::oauth::error::OAuthErrorBody;
use crate::oauth::introspection::{self, Introspection};
use crate::oauth::params::{RevokeRequest, TokenRequest};
use crate::oauth::refresh_token::hash;
use crate::oauth::{OAuthError, OAuthParams, client_auth, code_grant, grants};
use crate::requests::{Body, ClientIp, UserAgent};
use crate::resources::OAuthTokenResource;
use crate::state::AppState;

/// The token endpoint: `grant_type=authorization_code` (with PKCE), `refresh_token`,
/// `client_credentials` or `password`.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content((TokenRequest = "application/x-www-form-urlencoded"), (TokenRequest = "application/json"))),
    responses(
    (status = 200, description = "RFC 6749 §5.1 (Cache-Control: no-store)", body = OAuthTokenResource),
    (status = 400, description = "invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope or invalid_target", body = OAuthErrorBody),
    (status = 401, description = "invalid_client (WWW-Authenticate: Basic)", body = OAuthErrorBody),
    BodyTransportErrors, Throttled, Unavailable,
))]
pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    Body(body): Body,
) -> Result<OAuthTokenResource, OAuthError> {
    let params = OAuthParams::parse(&req, body)?;
    let grant_type = params.require("grant_type", "grant_type is required.")?;
    let client = client_auth::authenticate(&state, &req, &params).await?;
    match grant_type {
        "password" => grants::password(&state, &client, &params, ip, user_agent).await,
        "refresh_token" => grants::refresh_token(&state, &client, &params, ip).await,
        "client_credentials" => grants::client_credentials(&state, &client, &params).await,
        "authorization_code" => {
            code_grant::authorization_code(&state, &client, &params, ip, user_agent).await
        }
        _ => Err(OAuthError::UnsupportedGrantType),
    }
}

/// Revocation (RFC 7009): a refresh token ends its whole family; an access token is blacklisted and
/// its session ended. Tokens that are unknown, or were issued to another client, change nothing:
/// the answer is 200 either way, so it tells nothing about them.
#[utoipa::path(post, path = "/oauth/revoke", tag = "oauth",
    request_body(content((RevokeRequest = "application/x-www-form-urlencoded"), (RevokeRequest = "application/json"))),
    responses(
    (status = 200, description = "Revoked, or the token was unknown (RFC 7009)"),
    (status = 400, description = "invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type or invalid_scope", body = OAuthErrorBody),
    (status = 401, description = "invalid_client (WWW-Authenticate: Basic)", body = OAuthErrorBody),
    BodyTransportErrors, Throttled, Unavailable,
))]
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    Body(body): Body,
) -> Result<HttpResponse, OAuthError> {
    let params = OAuthParams::parse(&req, body)?;
    let client = client_auth::authenticate(&state, &req, &params).await?;
    let token = params.require("token", "token is required.")?;
    if token.split('.').count() == 3 {
        revoke_access_token(&state, &client, token).await?;
    } else {
        revoke_refresh_token(&state, &client, token).await?;
    }
    Ok(HttpResponse::Ok().finish())
}

/// Introspection (RFC 7662) for confidential clients: `{"active":true,…}` for a token that works
/// and was issued to the asking client (or to none, in the `/api` flow); `{"active":false}` for
/// anything else — expired, revoked, blacklisted, malformed or another client's.
#[utoipa::path(post, path = "/oauth/introspect", tag = "oauth",
    request_body(content((RevokeRequest = "application/x-www-form-urlencoded"), (RevokeRequest = "application/json"))),
    responses(
    (status = 200, description = "RFC 7662 §2.2 (Cache-Control: no-store)", body = Introspection),
    (status = 400, description = "invalid_request", body = OAuthErrorBody),
    (status = 401, description = "invalid_client, also for a public client (WWW-Authenticate: Basic)", body = OAuthErrorBody),
    BodyTransportErrors, Unavailable,
))]
pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    Body(body): Body,
) -> Result<HttpResponse, OAuthError> {
    let params = OAuthParams::parse(&req, body)?;
    let client = client_auth::authenticate(&state, &req, &params).await?;
    if !client.is_confidential() {
        return Err(OAuthError::InvalidClient);
    }
    let token = params.require("token", "token is required.")?;
    let answer = introspection::introspect(&state, &client, token).await;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer))
}

async fn revoke_access_token(
    state: &AppState,
    client: &OAuthClient,
    token: &str,
) -> Result<(), OAuthError> {
    let Ok(claims) = state.jwt.decode(token, Utc::now()) else {
        return Ok(());
    };
    // A client-credentials token has no session to end and no user to blacklist it for: it
    // lives JWT_TTL (RFC 7009 §2.2 lets a server decline).
    if claims.client_id != Some(client.id) || claims.is_client_credentials() {
        return Ok(());
    }
    Ok(sessions::revoke_access_token(state, client.id, &claims).await?)
}

async fn revoke_refresh_token(
    state: &AppState,
    client: &OAuthClient,
    token: &str,
) -> Result<(), OAuthError> {
    let token_hash = hash(token);
    let row = state
        .db
        .run(move |conn| OAuthRefreshToken::find(conn, &token_hash))
        .await?;
    match row {
        Some(row) if row.client_id == client.id => {
            Ok(sessions::revoke_session(state, client.id, row.session_id).await?)
        }
        _ => Ok(()),
    }
}
