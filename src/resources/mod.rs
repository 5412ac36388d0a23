//! What the API answers with (Laravel: API Resources): the shapes clients see, and nothing more.

use actix_web::body::BoxBody;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, Responder};
use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Id;
use crate::models::{Session, User};

mod admin;
mod oauth;
mod two_factor;

pub use admin::{
    AccountExport, AdminUserResource, PageLinks, PageMeta, TwoFactorStatus, UsersPageResource,
};
pub use oauth::{ConsentResource, ConsentsResource};
pub use two_factor::{
    LoginAnswer, RecoveryCodesResource, TwoFactorChallengeResource, TwoFactorEnrolmentResource,
};

/// A user as clients see it: never the password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResource {
    #[schema(value_type = String, format = "uuid")]
    pub id: Id,
    pub name: String,
    pub email: String,
    /// RFC 3339 UTC with microseconds, as Laravel writes timestamps.
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When the address was verified; null until then (Laravel's `email_verified_at`).
    #[schema(format = DateTime)]
    pub email_verified_at: Option<String>,
    /// Whether two-factor sign-in is on (a secret confirmed with a code).
    pub two_factor_enabled: bool,
    /// The user's roles, as every access token issued from now carries them.
    pub roles: Vec<String>,
}

impl From<User> for UserResource {
    fn from(user: User) -> Self {
        Self {
            two_factor_enabled: user.has_two_factor(),
            roles: user.role_names(),
            id: user.id,
            name: user.name,
            email: user.email,
            created_at: rfc3339(user.created_at),
            updated_at: rfc3339(user.updated_at),
            email_verified_at: user.email_verified_at.map(rfc3339),
        }
    }
}

pub(crate) fn rfc3339(time: NaiveDateTime) -> String {
    time.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A JSON answer that browsers and proxies must not keep: tokens (RFC 6749 §5.1) and user data.
pub(crate) fn no_store(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

impl Responder for UserResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::OK, &self)
    }
}

/// tymon/jwt-auth's `respondWithToken`: never cached by browsers or proxies.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResource {
    pub access_token: String,
    #[schema(value_type = String, example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires (JWT_TTL × 60 for a fresh one).
    pub expires_in: i64,
}

impl TokenResource {
    /// A bearer token that expires in `expires_in` seconds.
    pub fn bearer(access_token: String, expires_in: i64) -> Self {
        Self {
            access_token,
            token_type: "bearer",
            expires_in,
        }
    }
}

impl Responder for TokenResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::OK, &self)
    }
}

/// The token endpoint's answer (RFC 6749 §5.1), never cached.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthTokenResource {
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    pub expires_in: i64,
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
    /// With the `openid` scope: the ID token (OpenID Connect Core §3.1.3.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl Responder for OAuthTokenResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::OK, &self)
    }
}

/// `201` of a sign-up: `{"status":"success","data":USER}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredResource {
    #[schema(example = "success")]
    pub status: String,
    pub data: UserResource,
}

impl Responder for RegisteredResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::CREATED, &self)
    }
}

/// One session in `GET /api/sessions`: where and when a login happened, and whether it is the
/// caller's.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResource {
    #[schema(value_type = String, format = "uuid")]
    pub id: Id,
    /// Whether this is the session of the token that asked.
    pub current: bool,
    /// The OAuth client of an OAuth login; null for `/api/login`.
    #[schema(value_type = Option<String>, format = "uuid")]
    pub client_id: Option<Id>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Moved at most once a minute by requests, and by every refresh.
    #[schema(format = DateTime)]
    pub last_seen_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// How the login was proven: `"1"` a password alone, `"2"` with a second factor.
    #[schema(example = "1")]
    pub acr: String,
}

impl SessionResource {
    /// `session` as its owner sees it; `current` when it is the session of the caller's token.
    pub fn new(session: Session, current: Option<Id>) -> Self {
        Self {
            acr: session.acr().to_owned(),
            current: Some(session.id) == current,
            id: session.id,
            client_id: session.client_id,
            user_agent: session.user_agent,
            ip: session.ip,
            created_at: rfc3339(session.created_at),
            last_seen_at: rfc3339(session.last_seen_at),
            expires_at: rfc3339(session.expires_at),
        }
    }
}

/// `GET /api/sessions`: `{"data":[SESSION…]}`, most recently seen first. Never cached.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsResource {
    pub data: Vec<SessionResource>,
}

impl Responder for SessionsResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::OK, &self)
    }
}

/// `DELETE /api/sessions`: `{"status":"success","revoked":N}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedResource {
    #[schema(example = "success")]
    pub status: String,
    /// How many sessions ended.
    pub revoked: usize,
}

/// What `DELETE /api/sessions` answers, for the OpenAPI document: every session ended, or (with
/// `except=current`) the others, the caller's renewed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SessionsEnded {
    All(RevokedResource),
    AllButCurrent(RenewedResource),
}

/// An answer that renewed the caller's session (`PUT /password`, `DELETE /sessions?except=current`):
/// `{"status":"success",["revoked":N,]"access_token","token_type","expires_in"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenewedResource {
    #[schema(example = "success")]
    pub status: String,
    /// How many other sessions ended (`DELETE /sessions?except=current` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<usize>,
    /// The renewed session's token.
    #[serde(flatten)]
    pub token: TokenResource,
}

impl Responder for RenewedResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::OK, &self)
    }
}

/// `{"status":"success"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResource {
    #[schema(example = "success")]
    pub status: String,
}

impl Responder for RevokedResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok().json(self)
    }
}

impl Responder for StatusResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok().json(self)
    }
}

/// A status and a message, e.g. `{"status":"success","message":"Successfully logged out"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResource {
    pub status: String,
    pub message: String,
}

impl Responder for MessageResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok().json(&self)
    }
}

/// `GET /health/live` and `/health/ready`: `{"status":"ok","failing":[]}`, or on 503
/// `{"status":"unavailable","failing":["database"…]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProbeResource {
    pub status: String,
    /// What is not ready: `database`, `migrations`, `signing_keys`, `shutting_down`.
    pub failing: Vec<String>,
}

/// `GET /health`: `{"status":"ok","database":"ok"}`, or on 503 also `error` and `message`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResource {
    pub status: String,
    pub database: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
