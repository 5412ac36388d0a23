//! OpenID Connect Core 1.0 on top of the code flow: when this server can be an OpenID Provider,
//! the ID token of a token response, and the user's claims that it and UserInfo share. Laravel
//! Passport has no equivalent (Passport#1534); this is what Keycloak or Hydra would add.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::scopes::Scopes;
use crate::config::{Algo, AppEnv, Config};
use crate::db::Id;
use crate::error::{AppError, AuthFailure};
use crate::jwt::{Claims, acr_of};
use crate::models::User;
use crate::state::AppState;

/// The scope that asks for an ID token.
pub const OPENID: &str = "openid";
/// The scope of `name` and `updated_at`.
pub const PROFILE: &str = "profile";
/// The scope of `email` and `email_verified`.
pub const EMAIL: &str = "email";
/// How long an ID token may be presented to its client, in seconds.
pub const ID_TOKEN_LIFETIME: i64 = 300;
/// Why `openid` is refused when an ID token could not be verified through discovery.
pub const UNAVAILABLE: &str = "openid needs an asymmetric JWT_ALGO and a URL issuer";

/// Why this server cannot be an OpenID Provider, or `None` when it can: ID tokens are signed by
/// the key ring (never HS256, whose key a relying party would need), and the issuer is the URL
/// discovery is found under (Discovery §2, §4.3): `APP_URL`, where this server serves it, https in
/// production.
pub fn unavailable(config: &Config) -> Option<&'static str> {
    if !config.jwt.algo.is_asymmetric() {
        return Some(UNAVAILABLE);
    }
    let Ok(issuer) = url::Url::parse(&config.jwt.issuer) else {
        return Some(UNAVAILABLE);
    };
    let plain = issuer.scheme() == "http";
    if !(plain || issuer.scheme() == "https")
        || !issuer.has_host()
        || issuer.query().is_some()
        || issuer.fragment().is_some()
    {
        return Some(UNAVAILABLE);
    }
    if plain && config.app_env == AppEnv::Production {
        return Some("openid needs an https issuer (JWT_ISSUER) in production");
    }
    if config.jwt.issuer.trim_end_matches('/') != config.app_url.trim_end_matches('/') {
        return Some("openid needs JWT_ISSUER to be APP_URL, where discovery is served");
    }
    None
}

/// The user's claims that the granted scopes allow: `profile` → `name`, `updated_at`; `email` →
/// `email`, `email_verified`. The same in an ID token and at UserInfo.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct UserClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the profile last changed, in seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// False until the address is verified by its link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl UserClaims {
    /// What `scopes` allow of `user`.
    pub fn of(user: &User, scopes: &Scopes) -> Self {
        let mut claims = Self::default();
        if scopes.contains(PROFILE) {
            claims.name = Some(user.name.clone());
            claims.updated_at = Some(user.updated_at.and_utc().timestamp());
        }
        if scopes.contains(EMAIL) {
            claims.email = Some(user.email.clone());
            claims.email_verified = Some(user.email_verified_at.is_some());
        }
        claims
    }
}

/// `GET /oauth/userinfo`: `sub` and the claims the token's scopes allow.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfo {
    #[schema(value_type = String, format = "uuid")]
    pub sub: Id,
    #[serde(flatten)]
    pub claims: UserClaims,
}

/// The sign-in an ID token tells of.
#[derive(Debug, Clone, Copy)]
pub struct SignIn<'a> {
    /// When the user proved who they are (not when the code was redeemed or the token refreshed).
    pub auth_time: NaiveDateTime,
    /// The authorization request's `nonce`, echoed exactly; none after a refresh.
    pub nonce: Option<&'a str>,
}

/// OpenID Connect Core §2 and §3.1.3.6: the claims of an ID token of ours.
#[derive(Debug, Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: Id,
    /// The client the token is for.
    aud: Id,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    amr: Vec<String>,
    acr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<Id>,
    at_hash: String,
    #[serde(flatten)]
    user: UserClaims,
}

/// The ID token that goes beside the OAuth access token `access` (signed as `access_token`) when
/// `scopes` has `openid`; `None` without it, or when the server cannot sign one (a refresh of a
/// login from before a switch to HS256). The user is read for the claims `scopes` allow.
pub async fn id_token(
    state: &AppState,
    access: &Claims,
    access_token: &str,
    scopes: &Scopes,
    sign_in: SignIn<'_>,
) -> Result<Option<String>, AppError> {
    let Some(client) = access.client_id else {
        return Ok(None);
    };
    if !scopes.contains(OPENID) || unavailable(&state.config).is_some() {
        return Ok(None);
    }
    let user_id = access.sub;
    let user = state
        .db
        .read(move |conn| User::find(conn, user_id))
        .await?
        .ok_or(AppError::Unauthenticated(AuthFailure::UserNotFound))?;
    let iat = Utc::now().timestamp();
    let signed = state.jwt.sign_id_token(|algo| IdTokenClaims {
        iss: &state.config.jwt.issuer,
        sub: user.id,
        aud: client,
        exp: iat + ID_TOKEN_LIFETIME,
        iat,
        auth_time: sign_in.auth_time.and_utc().timestamp(),
        nonce: sign_in.nonce,
        amr: access.methods(),
        acr: access
            .acr
            .clone()
            .unwrap_or_else(|| acr_of(access.methods().iter().map(String::as_str)).to_owned()),
        sid: access.sid,
        at_hash: token_hash(algo, access_token),
        user: UserClaims::of(&user, scopes),
    })?;
    Ok(Some(signed))
}

/// `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the hash of the token under the
/// hash of the ID token's algorithm — SHA-256 for ES256 and RS256, SHA-512 for EdDSA (Ed25519).
pub fn token_hash(algo: Algo, token: &str) -> String {
    let hash = match algo {
        Algo::EdDSA => &digest::SHA512,
        Algo::HS256 | Algo::ES256 | Algo::RS256 => &digest::SHA256,
    };
    let digest = digest::digest(hash, token.as_bytes());
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_algorithms_hash() {
        // OpenID Connect Core's example (RS256): the hash of this access token.
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        assert_eq!(token_hash(Algo::RS256, token), "77QmUPtjPfzWtF2AnpK9RQ");
        assert_eq!(token_hash(Algo::ES256, token).len(), 22);
        assert_eq!(token_hash(Algo::EdDSA, token).len(), 43, "half of SHA-512");
    }
}
