//! One error type for every way a request can fail, turned into status + JSON in one `match`
//! (Laravel: app/Exceptions/Handler.php). Causes of 5xx answers are logged, never returned. The same
//! answers, as OpenAPI response sets, are in [`responses`].

mod database;
mod middleware;
pub mod responses;

pub use middleware::json_error_body;

use std::borrow::Cow;
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// A boxed cause, kept for the log.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What every fallible handler returns.
pub type AppResult<T> = Result<T, AppError>;

/// Field name -> messages, as Laravel's `errors` object.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Every error body of the API: `{"message","error"}`, plus `errors` on a 422.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub message: String,
    /// A stable code clients can switch on (`token_expired`, `validation_failed`…).
    pub error: String,
    /// 422 only: field -> messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::HashMap<String, Vec<String>>>)]
    pub errors: Option<FieldErrors>,
}

/// Why a bearer token was not accepted; each one is a 401 with its own `error` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    TokenNotProvided,
    /// The token could not be decoded or validated; the text says why.
    TokenInvalid(&'static str),
    TokenExpired,
    TokenBlacklisted,
    RefreshExpired,
    UserNotFound,
    /// The token's user is disabled: every token of theirs is refused from then.
    UserDisabled,
}

/// What a 503 was waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// The database: no pooled connection within DB_TIMEOUT, a lost connection, a transient
    /// failure (deadlock, serialization, SQLite's busy timeout).
    Database,
    /// The bcrypt threads: no slot within HASH_QUEUE_TIMEOUT, or too many requests waiting.
    PasswordHasher,
    /// Something the framework itself reported as unavailable.
    Server,
}

impl std::fmt::Display for Dependency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Database => "database",
            Self::PasswordHasher => "password hasher",
            Self::Server => "server",
        })
    }
}

/// Every failure a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("unauthenticated: {0:?}")]
    Unauthenticated(AuthFailure),
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("not found")]
    NotFound,
    /// A record the request named does not exist for this user (Laravel's ModelNotFoundException).
    #[error("not found: {0}")]
    ModelNotFound(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The request body did not arrive in time.
    #[error("request timeout")]
    RequestTimeout,
    /// MUST_VERIFY_EMAIL: the right password of an account whose address is not verified.
    #[error("email not verified")]
    EmailNotVerified,
    /// The right password of a disabled account (a wrong one is `InvalidCredentials`, so that
    /// disabling tells nothing about which accounts exist).
    #[error("account disabled")]
    AccountDisabled,
    /// A signed link (email verification) whose signature is wrong or whose time is up.
    #[error("invalid signature")]
    InvalidSignature,
    /// SPA cookie mode: the refresh cookie came without the matching `X-XSRF-TOKEN`, or from an
    /// origin that is not allowed (Laravel's 419).
    #[error("CSRF token mismatch")]
    CsrfTokenMismatch,
    /// A CORS preflight or request refused: what was refused (the origin, the method or a header).
    #[error("CORS refused: {0}")]
    CorsRefused(String),
    /// The account is not in the state the action needs (two-factor on or off): its `error` code
    /// and message.
    #[error("conflict: {0}")]
    Conflict(&'static str, &'static str),
    /// The caller may not do this (the admin API without the `admin` role): why.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// An access token without the scope the route needs (RFC 6750 §3.1): what it lacks.
    #[error("insufficient scope: {0}")]
    InsufficientScope(&'static str),
    /// A rate limit; the client may retry after this long.
    #[error("too many requests")]
    TooManyRequests(std::time::Duration),
    /// A part the answer depends on did not answer in time; the client may retry.
    #[error("{0} unavailable: {1}")]
    Unavailable(Dependency, #[source] BoxError),
    #[error("internal error: {0}")]
    Internal(#[source] BoxError),
}

impl AppError {
    /// A 422 for one field, e.g. `("email", "The email has already been taken.")`.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::from([(
            field.to_owned(),
            vec![message.into()],
        )]))
    }

    /// The message a client is shown (the JSON body's `message`), for an answer in another form.
    pub fn message(&self) -> Cow<'static, str> {
        self.parts().2
    }

    /// Status, `error` code and message: the single place where they are chosen.
    fn parts(&self) -> (StatusCode, &'static str, Cow<'static, str>) {
        use AuthFailure::*;
        let (status, code, message): (StatusCode, &'static str, Cow<'static, str>) = match self {
            Self::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "The given data was invalid.".into(),
            ),
            Self::Unauthenticated(reason) => {
                let (code, message) = match reason {
                    TokenNotProvided => ("token_not_provided", "Token not provided"),
                    TokenInvalid(why) => ("token_invalid", *why),
                    TokenExpired => ("token_expired", "Token has expired"),
                    TokenBlacklisted => ("token_blacklisted", "The token has been blacklisted"),
                    RefreshExpired => (
                        "refresh_expired",
                        "Token has expired and can no longer be refreshed",
                    ),
                    UserNotFound => ("user_not_found", "User not found"),
                    UserDisabled => ("user_disabled", "This account is disabled."),
                };
                (StatusCode::UNAUTHORIZED, code, message.into())
            }
            Self::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Unauthorized".into(),
            ),
            Self::BadRequest(why) => (StatusCode::BAD_REQUEST, "bad_request", (*why).into()),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "Not Found".into()),
            Self::ModelNotFound(what) => (StatusCode::NOT_FOUND, "not_found", (*what).into()),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method Not Allowed".into(),
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request body is larger than 64 KiB.".into(),
            ),
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send application/json, application/x-www-form-urlencoded or multipart/form-data."
                    .into(),
            ),
            Self::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "The request body did not arrive in time.".into(),
            ),
            Self::EmailNotVerified => (
                StatusCode::FORBIDDEN,
                "email_not_verified",
                "Your email address is not verified.".into(),
            ),
            Self::AccountDisabled => (
                StatusCode::FORBIDDEN,
                "account_disabled",
                "This account is disabled.".into(),
            ),
            Self::InvalidSignature => (
                StatusCode::FORBIDDEN,
                "invalid_signature",
                "Invalid signature.".into(),
            ),
            Self::CsrfTokenMismatch => (
                // 419 has no constant: it is Laravel's, not the IANA registry's.
                StatusCode::from_u16(419).unwrap_or(StatusCode::FORBIDDEN),
                "csrf_token_mismatch",
                "CSRF token mismatch.".into(),
            ),
            Self::CorsRefused(what) => (StatusCode::FORBIDDEN, "cors_refused", what.clone().into()),
            Self::Conflict(code, message) => (StatusCode::CONFLICT, *code, (*message).into()),
            Self::Forbidden(why) => (StatusCode::FORBIDDEN, "forbidden", (*why).into()),
            Self::InsufficientScope(why) => {
                (StatusCode::FORBIDDEN, "insufficient_scope", (*why).into())
            }
            Self::TooManyRequests(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Too Many Attempts.".into(),
            ),
            Self::Unavailable(what, _) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                match what {
                    Dependency::Database => {
                        "Service Unavailable: the database did not answer in time."
                    }
                    Dependency::PasswordHasher => {
                        "Service Unavailable: too many password checks at once."
                    }
                    Dependency::Server => "Service Unavailable",
                }
                .into(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Server Error".into(),
            ),
        };
        (status, code, message)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code, message) = self.parts();
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %cause, cause = ?cause, "request failed")
            }
            Self::Unavailable(what, cause) => {
                tracing::warn!(%what, error = %cause, "service unavailable")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(status);
        match self {
            Self::TooManyRequests(wait) => {
                response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1)));
            }
            Self::Unavailable(..) => {
                response.insert_header((header::RETRY_AFTER, 1));
            }
            Self::Unauthenticated(AuthFailure::TokenNotProvided) | Self::InvalidCredentials => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::Unauthenticated(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#));
            }
            Self::InsufficientScope(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    r#"Bearer error="insufficient_scope""#,
                ));
            }
            _ => {}
        }
        let errors = match self {
            Self::Validation(errors) => Some(errors.clone()),
            _ => None,
        };
        response.json(ErrorBody {
            message: message.into_owned(),
            error: code.to_owned(),
            errors,
        })
    }
}

impl From<AuthFailure> for AppError {
    fn from(reason: AuthFailure) -> Self {
        Self::Unauthenticated(reason)
    }
}
