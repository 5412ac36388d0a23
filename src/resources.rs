//! What the API answers with (Laravel: API Resources): the shapes clients see, and nothing more.

use actix_web::body::BoxBody;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, Responder};
use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Id;
use crate::models::User;

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
}

impl From<User> for UserResource {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            name: user.name,
            email: user.email,
            created_at: rfc3339(user.created_at),
            updated_at: rfc3339(user.updated_at),
        }
    }
}

fn rfc3339(time: NaiveDateTime) -> String {
    time.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A JSON answer that browsers and proxies must not keep: tokens (RFC 6749 §5.1) and user data.
fn no_store(status: StatusCode, body: &impl Serialize) -> HttpResponse {
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

/// A status and a message, e.g. `{"status":"success","message":"Successfully logged out"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResource {
    pub status: String,
    pub message: String,
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
