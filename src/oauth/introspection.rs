//! Token introspection (RFC 7662): what a resource server asks to learn about a logout before the
//! token's `exp`. Access tokens are checked exactly as the `/api` guard checks them; refresh tokens
//! as the refresh-token grant would accept them.

use chrono::Duration;
use serde::Serialize;
use utoipa::ToSchema;

use super::refresh_token::hash;
use crate::auth::active_access_token;
use crate::db;
use crate::jwt::{Claims, acr_of};
use crate::models::{OAuthClient, OAuthRefreshToken};
use crate::state::AppState;

/// RFC 7662 §2.2: `{"active":false}`, or the active token's facts.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The client the token was issued to; absent for tokens of the `/api` flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The session (login) the token belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// How the login was proven (RFC 8176), as its tokens say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// `"1"`: one factor; `"2"`: two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The audience of an access token (`aud`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// RFC 7662 §2.2 (the RFC 6749 §5.1 type): `Bearer` for an access token; absent for a refresh
    /// token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// The kind of token, as Hydra says it: `access_token` or `refresh_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_use: Option<&'static str>,
}

/// What `client` may learn about `token`: active only while it works, and only for the client it
/// was issued to (tokens of the `/api` flow belong to no client: any confidential client may ask).
pub async fn introspect(state: &AppState, client: &OAuthClient, token: &str) -> Introspection {
    let found = if token.split('.').count() == 3 {
        access_token(state, client, token).await
    } else {
        refresh_token(state, client, token).await
    };
    found.unwrap_or_default()
}

async fn access_token(
    state: &AppState,
    client: &OAuthClient,
    token: &str,
) -> Option<Introspection> {
    let claims = match active_access_token(state, token).await {
        Ok((_, claims)) => claims,
        Err(_) => client_credentials_token(state, token).await?,
    };
    if claims
        .client_id
        .is_some_and(|issued_to| issued_to != client.id)
    {
        return None;
    }
    let methods = (!claims.is_client_credentials()).then(|| claims.methods());
    let acr = methods
        .as_ref()
        .map(|m| acr_of(m.iter().map(String::as_str)).to_owned());
    Some(Introspection {
        active: true,
        sub: Some(claims.sub.to_string()),
        client_id: claims.client_id.map(|c| c.to_string()),
        scope: claims.scope,
        exp: Some(claims.exp),
        iat: Some(claims.iat),
        sid: claims.sid.map(|s| s.to_string()),
        amr: methods,
        acr,
        aud: claims.aud,
        token_type: Some("Bearer"),
        token_use: Some("access_token"),
    })
}

/// A client-credentials token (no user, no session) that is unexpired and whose client still
/// exists.
async fn client_credentials_token(state: &AppState, token: &str) -> Option<Claims> {
    let now = chrono::Utc::now();
    let claims = state.jwt.decode(token, now).ok()?;
    if !claims.is_client_credentials() || state.jwt.is_expired(&claims, now) {
        return None;
    }
    let client = claims.sub;
    let exists = state
        .db
        .run(move |conn| OAuthClient::find(conn, client))
        .await
        .ok()?
        .is_some();
    exists.then_some(claims)
}

async fn refresh_token(
    state: &AppState,
    client: &OAuthClient,
    token: &str,
) -> Option<Introspection> {
    let token_hash = hash(token);
    let (row, session, user) = state
        .db
        .run(move |conn| OAuthRefreshToken::find_with_session(conn, &token_hash))
        .await
        .ok()??;
    let now = db::now();
    let idle = Duration::minutes(i64::from(state.config.oauth.refresh_idle_ttl_minutes));
    let expires = (row.created_at + idle).min(session.expires_at);
    let usable = row.client_id == client.id
        && row.used_at.is_none()
        && row.revoked_at.is_none()
        && session.is_active(now)
        && !user.is_disabled()
        && expires > now;
    usable.then(|| Introspection {
        active: true,
        sub: Some(session.user_id.to_string()),
        client_id: Some(row.client_id.to_string()),
        scope: Some(row.scopes),
        exp: Some(expires.and_utc().timestamp()),
        iat: Some(row.created_at.and_utc().timestamp()),
        sid: Some(session.id.to_string()),
        amr: Some(session.amr.split(' ').map(str::to_owned).collect()),
        acr: Some(session.acr().to_owned()),
        aud: None,
        token_type: None,
        token_use: Some("refresh_token"),
    })
}
