//! The token endpoint's errors (RFC 6749 §5.2): `{"error", "error_description"}`, 400 or 401.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// RFC 6749 §5.2's error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    #[schema(example = "invalid_grant")]
    pub error: String,
    pub error_description: String,
}

/// Every answer of `/oauth/token` and `/oauth/revoke` that is not a success.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// Client authentication failed (unknown client, missing or wrong secret).
    #[error("invalid_client")]
    InvalidClient,
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(&'static str),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("invalid_scope: {0}")]
    InvalidScope(&'static str),
    /// RFC 8707 §2: a `resource` the client may not ask for.
    #[error("invalid_target")]
    InvalidTarget,
    /// Not an OAuth matter (database down, body too large…): answered as the rest of the API does.
    #[error(transparent)]
    Server(#[from] AppError),
}

/// The description of an `invalid_scope` about the scopes themselves.
pub const SCOPE_NOT_GRANTABLE: &str =
    "The requested scope is invalid, unknown, or exceeds the scope granted.";

impl OAuthError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::InvalidRequest(why) => (StatusCode::BAD_REQUEST, "invalid_request", why),
            Self::InvalidClient => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed.",
            ),
            Self::InvalidGrant(why) => (StatusCode::BAD_REQUEST, "invalid_grant", why),
            Self::UnauthorizedClient(why) => (StatusCode::BAD_REQUEST, "unauthorized_client", why),
            Self::UnsupportedGrantType => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "The grant type is not supported: use authorization_code, refresh_token, client_credentials or password.",
            ),
            Self::InvalidTarget => (
                StatusCode::BAD_REQUEST,
                "invalid_target",
                "The resource is not one this client may ask for.",
            ),
            Self::InvalidScope(why) => (StatusCode::BAD_REQUEST, "invalid_scope", why),
            Self::Server(error) => (error.status_code(), "", ""),
        }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Server(error) = self {
            return error.error_response();
        }
        let (status, code, description) = self.parts();
        let mut response = HttpResponse::build(status);
        response
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        if matches!(self, Self::InvalidClient) {
            response.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="jwt-auth-server""#));
        }
        response.json(OAuthErrorBody {
            error: code.to_owned(),
            error_description: description.to_owned(),
        })
    }
}
