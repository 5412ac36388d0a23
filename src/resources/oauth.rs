//! What the OAuth routes of the API answer: the clients a user allowed.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::Serialize;
use utoipa::ToSchema;

use super::{no_store, rfc3339};
use crate::db::Id;

/// One client the user allowed (`GET /api/consents`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentResource {
    #[schema(value_type = String, format = "uuid")]
    pub client_id: Id,
    pub client_name: String,
    /// The scopes allowed, space-separated.
    pub scopes: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl ConsentResource {
    /// `consent` of the client named `client_name`.
    pub fn new(consent: crate::models::Consent, client_name: String) -> Self {
        Self {
            client_id: consent.client_id,
            client_name,
            scopes: consent.scopes,
            created_at: rfc3339(consent.created_at),
        }
    }
}

/// `GET /api/consents`: `{"data":[CONSENT…]}`. Never cached.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentsResource {
    pub data: Vec<ConsentResource>,
}

impl Responder for ConsentsResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::OK, &self)
    }
}
