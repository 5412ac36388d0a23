//! Client authentication (RFC 6749 §2.3.1): HTTP Basic or `client_id`/`client_secret` in the body,
//! not both. Public clients send only `client_id`.

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::OAuthError;
use super::params::OAuthParams;
use crate::crypto::sha256_hex;
use crate::db::Id;
use crate::models::OAuthClient;
use crate::state::AppState;

/// The client making the request, once its credentials check out.
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    params: &OAuthParams,
) -> Result<OAuthClient, OAuthError> {
    let (client_id, secret) = match (
        basic_credentials(req)?,
        params.get("client_id"),
        params.get("client_secret"),
    ) {
        (Some(_), _, Some(_)) => {
            return Err(OAuthError::InvalidRequest(
                "Use one client authentication method, not two.",
            ));
        }
        (Some((id, _)), Some(body_id), None) if id != body_id => {
            return Err(OAuthError::InvalidRequest(
                "client_id differs from the HTTP Basic credentials.",
            ));
        }
        (Some((id, secret)), _, None) => (id, Some(secret)),
        (None, Some(id), secret) => (id.to_owned(), secret.map(str::to_owned)),
        (None, None, _) => return Err(OAuthError::InvalidClient),
    };
    let id = uuid::Uuid::parse_str(&client_id).map_err(|_| OAuthError::InvalidClient)?;
    let client = state
        .db
        .run(move |conn| OAuthClient::find(conn, Id(id)))
        .await?
        .ok_or(OAuthError::InvalidClient)?;
    let authenticated = match (&client.secret_hash, secret) {
        (Some(expected), Some(secret)) => aws_lc_rs::constant_time::verify_slices_are_equal(
            expected.as_bytes(),
            sha256_hex(secret.as_bytes()).as_bytes(),
        )
        .is_ok(),
        // A public client has nothing to prove, and a secret it sends would be a mistake.
        (None, None) => true,
        _ => false,
    };
    authenticated
        .then_some(client)
        .ok_or(OAuthError::InvalidClient)
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, if that is what was sent.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| OAuthError::InvalidClient)?;
    let text = String::from_utf8(decoded).map_err(|_| OAuthError::InvalidClient)?;
    let (id, secret) = text.split_once(':').ok_or(OAuthError::InvalidClient)?;
    Ok(Some((form_decode(id)?, form_decode(secret)?)))
}

/// Undoes application/x-www-form-urlencoded encoding of one value.
fn form_decode(value: &str) -> Result<String, OAuthError> {
    let spaced = value.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|v| v.into_owned())
        .map_err(|_| OAuthError::InvalidClient)
}
