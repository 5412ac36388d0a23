//! The password, refresh-token and client-credentials grants of `POST /oauth/token`
//! (league/oauth2-server's PasswordGrant, RefreshTokenGrant and ClientCredentialsGrant), and the
//! token response they share with the code grant.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{Duration, Utc};

use super::OAuthError;
use super::error::SCOPE_NOT_GRANTABLE;
use super::openid::{self, OPENID, SignIn};
use super::params::OAuthParams;
use super::refresh_token::{self, hash};
use super::scopes::{OFFLINE_ACCESS, Scopes};
use crate::auth::sessions::{self, Audience, Device};
use crate::auth::two_factor::SecondFactor;
use crate::auth::{email_verification, login};
use crate::db;
use crate::error::AppError;
use crate::jwt::{self, Claims, Proof};
use crate::models::{OAuthClient, OAuthRefreshToken};
use crate::requests::login_email;
use crate::resources::OAuthTokenResource;
use crate::state::AppState;

/// How every grant refuses a disabled account's user (`invalid_grant`).
pub(super) const ACCOUNT_DISABLED: &str = "account disabled";

/// The longest `otp` read: a recovery code, typed with spaces, is far shorter.
const MAX_OTP_CHARS: usize = 64;

/// `grant_type=password`: a first-party client exchanges the user's email and password for tokens.
pub async fn password(
    state: &AppState,
    client: &OAuthClient,
    params: &OAuthParams,
    ip: Option<IpAddr>,
    user_agent: Option<String>,
) -> Result<OAuthTokenResource, OAuthError> {
    if !client.allows_grant("password") {
        return Err(OAuthError::UnauthorizedClient(
            "This client may not use the password grant.",
        ));
    }
    // Checked exactly like /api/login's email, before any limit is touched: a malformed or
    // oversized username never becomes a rate-limit key.
    let email = login_email(params.require("username", "username is required.")?).ok_or(
        OAuthError::InvalidRequest("username must be a valid email address of at most 255 bytes."),
    )?;
    let password = params
        .require("password", "password is required.")?
        .to_owned();
    let scopes = requested_scopes(params, &allowed_scopes(client))?.unwrap_or_default();
    refuse_openid_if_unavailable(state, &scopes)?;
    let resource = requested_resource(params, client)?;
    let user = login::attempt(state, email, password, ip, "oauth")
        .await
        .map_err(|error| match error {
            AppError::AccountDisabled => OAuthError::InvalidGrant(ACCOUNT_DISABLED),
            other => other.into(),
        })?
        .ok_or(OAuthError::InvalidGrant(
            "The user credentials were incorrect.",
        ))?;
    if email_verification::refuses_unverified(state, &user, ip).await {
        return Err(OAuthError::InvalidGrant(
            "The email address is not verified.",
        ));
    }

    let refresh_token = (scopes.contains(OFFLINE_ACCESS) || client.always_issue_refresh_token)
        .then(refresh_token::generate)
        .transpose()?;
    let audience = Audience::OAuth {
        client_id: client.id,
        scopes: scopes.to_string(),
        resource,
    };
    let device = Device { user_agent, ip };
    let claims = if user.has_two_factor() {
        // After the password check, so it tells a guesser nothing.
        let otp = params.get("otp").ok_or(OAuthError::InvalidGrant(
            "two-factor authentication required",
        ))?;
        if otp.chars().count() > MAX_OTP_CHARS {
            return Err(OAuthError::InvalidRequest("otp is too long."));
        }
        let factor = SecondFactor::either(otp.to_owned());
        sessions::start_with_second_factor(
            state,
            &user,
            factor,
            audience,
            &device,
            refresh_token.as_deref(),
        )
        .await
        .map_err(|error| match error {
            AppError::Validation(_) => OAuthError::InvalidGrant("The two-factor code is invalid."),
            other => other.into(),
        })?
    } else {
        let proof = Proof::Password;
        sessions::start(
            state,
            &user,
            audience,
            proof,
            &device,
            refresh_token.as_deref(),
        )
        .await?
    };
    let sign_in = SignIn {
        auth_time: jwt::timestamp(claims.iat),
        nonce: None,
    };
    respond(state, claims, &scopes, refresh_token, Some(sign_in)).await
}

/// `grant_type=refresh_token`: rotation with reuse detection.
pub async fn refresh_token(
    state: &AppState,
    client: &OAuthClient,
    params: &OAuthParams,
    ip: Option<IpAddr>,
) -> Result<OAuthTokenResource, OAuthError> {
    if !client.allows_grant("refresh_token") {
        return Err(OAuthError::UnauthorizedClient(
            "This client may not use the refresh_token grant.",
        ));
    }
    let presented = params
        .require("refresh_token", "refresh_token is required.")?
        .to_owned();
    // After the parameter check, so a malformed request counts in neither store.
    let hit = state.limits.refresh_hit(ip, Instant::now())?;
    let token_hash = hash(&presented);
    let lookup = token_hash.clone();
    let (token, session, user) = state
        .db
        .run(move |conn| {
            Ok(match hit.count_on(conn)? {
                Ok(()) => Ok(OAuthRefreshToken::find_with_session(conn, &lookup)?),
                Err(retry_after) => Err(AppError::TooManyRequests(retry_after)),
            })
        })
        .await??
        .ok_or(OAuthError::InvalidGrant("The refresh token is invalid."))?;
    let now = db::now();
    let idle = Duration::minutes(i64::from(state.config.oauth.refresh_idle_ttl_minutes));
    if token.client_id != client.id {
        return Err(OAuthError::InvalidGrant(
            "The refresh token was issued to another client.",
        ));
    }
    if token.revoked_at.is_some() || !session.is_active(now) || token.created_at + idle <= now {
        return Err(OAuthError::InvalidGrant(
            "The refresh token is revoked or expired.",
        ));
    }
    if user.is_disabled() {
        return Err(OAuthError::InvalidGrant(ACCOUNT_DISABLED));
    }
    let granted = Scopes::parse(&session.scopes).unwrap_or_default();
    let scopes = requested_scopes(params, &granted)?.unwrap_or(granted);
    // RFC 8707 §2.2: a refresh may name the resource, only the one the login was for.
    if let Some(resource) = params.get("resource") {
        let granted = session.resource.as_deref();
        let default = state.config.oauth.default_resource.as_str();
        if granted.unwrap_or(default) != resource {
            return Err(OAuthError::InvalidTarget);
        }
    }
    let child = refresh_token::child_of(&state.refresh_token_key, &presented);
    match sessions::rotate_refresh_token(state, &token, &session, child).await? {
        Some(child) => {
            let claims = sessions::access_claims(state, &session, &user, Utc::now());
            // The same sign-in: its time, and no nonce (OpenID Connect Core §12.2).
            let sign_in = SignIn {
                auth_time: session.created_at,
                nonce: None,
            };
            respond(state, claims, &scopes, Some(child), Some(sign_in)).await
        }
        None => Err(OAuthError::InvalidGrant(
            "The refresh token has already been used.",
        )),
    }
}

/// The token response for the access token `claims` with `scopes` (narrowed by a refresh), the
/// refresh token if there is one, and with `openid` the ID token of `sign_in`.
pub(super) async fn respond(
    state: &AppState,
    mut claims: Claims,
    scopes: &Scopes,
    refresh_token: Option<String>,
    sign_in: Option<SignIn<'_>>,
) -> Result<OAuthTokenResource, OAuthError> {
    claims.scope = Some(scopes.to_string());
    let access_token = state.jwt.encode(&claims)?;
    let id_token = match sign_in {
        Some(sign_in) => openid::id_token(state, &claims, &access_token, scopes, sign_in).await?,
        None => None,
    };
    Ok(OAuthTokenResource {
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        access_token,
        refresh_token,
        scope: scopes.to_string(),
        id_token,
    })
}

/// `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client, for itself. The access
/// token's `sub` and `client_id` are the client; no user, no session, no refresh token: it lives
/// JWT_TTL, is refused by the `/api` user routes (no such user) and cannot be revoked before then.
pub async fn client_credentials(
    state: &AppState,
    client: &OAuthClient,
    params: &OAuthParams,
) -> Result<OAuthTokenResource, OAuthError> {
    if !client.is_confidential() || !client.allows_grant("client_credentials") {
        return Err(OAuthError::UnauthorizedClient(
            "This client may not use the client_credentials grant.",
        ));
    }
    // No user, so no refresh and no ID token.
    let mut allowed = allowed_scopes(client);
    allowed.remove(OFFLINE_ACCESS);
    allowed.remove(OPENID);
    let scopes = requested_scopes(params, &allowed)?.unwrap_or(allowed);
    let resource = requested_resource(params, client)?;
    let now = Utc::now();
    let mut claims = state.jwt.login_claims(client.id, now);
    claims.client_id = Some(client.id);
    claims.aud = Some(resource.unwrap_or_else(|| state.config.oauth.default_resource.clone()));
    respond(state, claims, &scopes, None, None).await
}

/// `invalid_scope` for `openid` on a server that cannot sign ID tokens (see [`openid::unavailable`]).
pub(super) fn refuse_openid_if_unavailable(
    state: &AppState,
    scopes: &Scopes,
) -> Result<(), OAuthError> {
    match openid::unavailable(&state.config) {
        Some(why) if scopes.contains(OPENID) => Err(OAuthError::InvalidScope(why)),
        _ => Ok(()),
    }
}

/// The `resource` parameter if sent (RFC 8707): one of the client's registered resources, else
/// `invalid_target`.
fn requested_resource(
    params: &OAuthParams,
    client: &OAuthClient,
) -> Result<Option<String>, OAuthError> {
    match params.get("resource") {
        None => Ok(None),
        Some(resource) if client.allows_resource(resource) => Ok(Some(resource.to_owned())),
        Some(_) => Err(OAuthError::InvalidTarget),
    }
}

fn allowed_scopes(client: &OAuthClient) -> Scopes {
    Scopes::parse(&client.scopes).unwrap_or_default()
}

/// The `scope` parameter if sent: it must be well-formed and within `limit` (RFC 6749 §3.3, §6).
fn requested_scopes(params: &OAuthParams, limit: &Scopes) -> Result<Option<Scopes>, OAuthError> {
    let Some(text) = params.get("scope") else {
        return Ok(None);
    };
    let requested = Scopes::parse(text).ok_or(OAuthError::InvalidScope(SCOPE_NOT_GRANTABLE))?;
    if requested.is_subset(limit) {
        Ok(Some(requested))
    } else {
        Err(OAuthError::InvalidScope(SCOPE_NOT_GRANTABLE))
    }
}
