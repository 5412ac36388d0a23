//! `grant_type=authorization_code` with PKCE (RFC 6749 §4.1.3 as OAuth 2.1 amends it, RFC 7636):
//! the code, its redirect URI and its verifier, checked in the order RFC 6749 §5.2 names the
//! errors; the redemption itself belongs to the login's owner.

use std::net::IpAddr;

use aws_lc_rs::{constant_time, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::OAuthError;
use super::grants::{ACCOUNT_DISABLED, respond};
use super::openid::SignIn;
use super::params::OAuthParams;
use super::refresh_token;
use super::scopes::{OFFLINE_ACCESS, Scopes};
use crate::auth::sessions::{self, Device};
use crate::crypto::sha256_hex;
use crate::db;
use crate::error::AppError;
use crate::models::{AuthCode, OAuthClient};
use crate::resources::OAuthTokenResource;
use crate::state::AppState;

/// `grant_type=authorization_code`: `code`, `redirect_uri` when the authorization request named
/// one, and `code_verifier`.
pub async fn authorization_code(
    state: &AppState,
    client: &OAuthClient,
    params: &OAuthParams,
    ip: Option<IpAddr>,
    user_agent: Option<String>,
) -> Result<OAuthTokenResource, OAuthError> {
    if !client.allows_grant("authorization_code") {
        return Err(OAuthError::UnauthorizedClient(
            "This client may not use the authorization code grant.",
        ));
    }
    let presented = params.require("code", "code is required.")?;
    let verifier = params.require("code_verifier", "code_verifier is required (PKCE).")?;
    if !is_verifier(verifier) {
        return Err(OAuthError::InvalidRequest(
            "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, -, ., _ and ~.",
        ));
    }
    let code_hash = sha256_hex(presented.as_bytes());
    let code = state
        .db
        .run(move |conn| AuthCode::find(conn, &code_hash))
        .await?
        .ok_or(OAuthError::InvalidGrant("The code is invalid."))?;
    if code.client_id != client.id {
        return Err(OAuthError::InvalidGrant(
            "The code was issued to another client.",
        ));
    }
    if code.used_at.is_some() {
        // RFC 6749 §4.1.2: a code presented twice revokes what its first use issued.
        sessions::end_replayed_code(state, &code).await?;
        return Err(OAuthError::InvalidGrant("The code has already been used."));
    }
    if code.expires_at <= db::now() {
        return Err(OAuthError::InvalidGrant("The code has expired."));
    }
    let redirect_uri = params.get("redirect_uri");
    if code.redirect_uri_sent && redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::InvalidGrant(
            "redirect_uri does not match the authorization request's.",
        ));
    }
    if !code.redirect_uri_sent && redirect_uri.is_some_and(|uri| uri != code.redirect_uri) {
        return Err(OAuthError::InvalidGrant(
            "redirect_uri does not match the authorization request's.",
        ));
    }
    if !pkce_holds(verifier, &code.code_challenge) {
        return Err(OAuthError::InvalidGrant(
            "The code_verifier does not match.",
        ));
    }
    // RFC 8707 §2.2: the token request may name the resource only as the code was granted it.
    if let Some(resource) = params.get("resource") {
        let default = state.config.oauth.default_resource.as_str();
        if code.resource.as_deref().unwrap_or(default) != resource {
            return Err(OAuthError::InvalidTarget);
        }
    }
    let scopes = Scopes::parse(&code.scopes).unwrap_or_default();
    let refresh_token = (scopes.contains(OFFLINE_ACCESS) || client.always_issue_refresh_token)
        .then(refresh_token::generate)
        .transpose()?;
    let device = Device { user_agent, ip };
    let claims = sessions::redeem_code(state, &code, client, &device, refresh_token.as_deref())
        .await
        .map_err(|error| match error {
            AppError::AccountDisabled => OAuthError::InvalidGrant(ACCOUNT_DISABLED),
            other => other.into(),
        })?
        .ok_or(OAuthError::InvalidGrant("The code has already been used."))?;
    let sign_in = SignIn {
        auth_time: code.auth_time.unwrap_or(code.created_at),
        nonce: code.nonce.as_deref(),
    };
    respond(state, claims, &scopes, refresh_token, Some(sign_in)).await
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge, compared in constant time.
pub fn pkce_holds(verifier: &str, challenge: &str) -> bool {
    let computed = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    constant_time::verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_appendix_b_verifier_matches_its_challenge_and_nothing_else_does() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_holds(verifier, challenge));
        assert!(!pkce_holds(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        assert!(!pkce_holds(challenge, challenge), "plain is not S256");
        assert!(is_verifier(verifier));
        assert!(!is_verifier("short"));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", "a".repeat(43))));
    }
}
