//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and the
//! request and response types, then widened to every alias, prefix and method that routes.rs
//! mounts (routes.rs hands its table in, so the document cannot drift from the code). Served at
//! `GET /api/openapi.json`.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::controllers::{auth_controller, health_controller, oauth_controller};

#[derive(OpenApi)]
#[openapi(
    info(title = "jwt-auth-server", description = "tymon/jwt-auth's API and an OAuth 2.0 token endpoint"),
    paths(
        auth_controller::register,
        auth_controller::login,
        auth_controller::me,
        auth_controller::refresh,
        auth_controller::logout,
        oauth_controller::token,
        oauth_controller::revoke,
        health_controller::show,
    ),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Where a documented operation is mounted: the path its handler's attribute names, and every path
/// and method routes.rs serves it at.
pub struct Mount {
    pub documented: &'static str,
    pub paths: Vec<String>,
    pub methods: &'static [Method],
}

/// The served document (app data of `GET /api/openapi.json`).
pub struct Document(pub utoipa::openapi::OpenApi);

/// The document with each documented operation copied to every path and method of its `mounts`.
pub fn document(mounts: &[Mount]) -> Document {
    let mut api = ApiDoc::openapi();
    let mut expanded = Vec::new();
    for mount in mounts {
        let Some(operation) = api
            .paths
            .paths
            .get(mount.documented)
            .and_then(only_operation)
        else {
            continue;
        };
        for path in &mount.paths {
            expanded.push((path.clone(), item(&operation, mount.methods)));
        }
    }
    for (path, item) in expanded {
        api.paths.paths.insert(path, item);
    }
    Document(api)
}

/// The one operation a handler's attribute documents.
fn only_operation(item: &PathItem) -> Option<Operation> {
    item.get.clone().or_else(|| item.post.clone())
}

/// A path item with `operation` under each method, each with its own operationId.
fn item(operation: &Operation, methods: &[Method]) -> PathItem {
    let mut item = PathItem::default();
    for method in methods {
        let mut operation = operation.clone();
        operation.operation_id = None;
        match *method {
            Method::GET => item.get = Some(operation),
            _ => item.post = Some(operation),
        }
    }
    item
}

/// `GET /api/openapi.json`.
pub async fn show(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok().json(&document.0)
}
