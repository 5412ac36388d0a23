//! The parameters of `/oauth/token` and `/oauth/revoke`: a form (RFC 6749) or a flat JSON object of
//! strings. A parameter sent twice is an invalid_request (RFC 6749 §3.2).

use std::collections::HashMap;

use actix_web::{HttpRequest, web};

use super::OAuthError;
use crate::requests::{BodyFormat, body_format, json_object, multipart_boundary, readable};

/// The request's parameters, by name.
#[derive(Debug, Default)]
pub struct OAuthParams(HashMap<String, String>);

impl OAuthParams {
    /// Parses the body according to its Content-Type.
    pub fn parse(req: &HttpRequest, body: web::Bytes) -> Result<Self, OAuthError> {
        let boundary = multipart_boundary(req);
        let (format, body) = readable(body_format(req), boundary, body).map_err(|_| {
            OAuthError::InvalidRequest("Send application/x-www-form-urlencoded (or JSON).")
        })?;
        Self::from_body(format, &body)
    }

    /// Parses a body of a known encoding.
    pub fn from_body(format: BodyFormat, body: &[u8]) -> Result<Self, OAuthError> {
        let pairs: Vec<(String, String)> = match format {
            BodyFormat::Form => serde_urlencoded::from_bytes(body)
                .map_err(|_| OAuthError::InvalidRequest("The request body is not a valid form."))?,
            BodyFormat::Json => {
                let object = json_object(body).map_err(|_| {
                    OAuthError::InvalidRequest(
                        "The request body is not a JSON object with each key once.",
                    )
                })?;
                object
                    .into_iter()
                    // null is "not sent", as an absent key.
                    .filter(|(_, value)| !value.is_null())
                    .map(|(key, value)| match value {
                        serde_json::Value::String(text) => Ok((key, text)),
                        _ => Err(OAuthError::InvalidRequest(
                            "Every parameter must be a string.",
                        )),
                    })
                    .collect::<Result<_, _>>()?
            }
        };
        let mut params = HashMap::new();
        for (key, value) in pairs {
            if params.insert(key, value).is_some() {
                return Err(OAuthError::InvalidRequest(
                    "A parameter was sent more than once.",
                ));
            }
        }
        Ok(Self(params))
    }

    /// A parameter, if sent and not empty (RFC 6749 §3.1: empty counts as omitted).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A parameter that must be there.
    pub fn require(&self, name: &str, missing: &'static str) -> Result<&str, OAuthError> {
        self.get(name).ok_or(OAuthError::InvalidRequest(missing))
    }
}

/// The parameters `/oauth/token` reads, for the OpenAPI description (the endpoint parses
/// [`OAuthParams`] so that repeated or non-string parameters are its own `invalid_request`).
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct TokenRequest {
    /// `authorization_code`, `refresh_token`, `client_credentials` or `password`.
    grant_type: String,
    /// Or HTTP Basic credentials.
    client_id: Option<String>,
    client_secret: Option<String>,
    /// Password grant: the email.
    username: Option<String>,
    password: Option<String>,
    /// Refresh-token grant.
    refresh_token: Option<String>,
    /// Authorization code grant: the code, the redirect URI the request named, the PKCE verifier.
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    /// Space-separated; `offline_access` asks for a refresh token.
    scope: Option<String>,
    /// RFC 8707: the resource the access token is for (its `aud`); one the client registered.
    resource: Option<String>,
    /// Password grant, for a user with two-factor on: a TOTP code or a recovery code.
    otp: Option<String>,
}

/// The parameters `/oauth/revoke` reads (RFC 7009), for the OpenAPI description.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct RevokeRequest {
    token: String,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}
