//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and the
//! request and response types, then widened to every alias, prefix and method that routes.rs
//! mounts — so it cannot drift from the code. Served at `GET /api/openapi.json`.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::Method;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::controllers::{auth_controller, health_controller, oauth_controller};
use crate::routes::{self, LOGIN, LOGOUT, ME, PREFIXES, REFRESH, REGISTER};

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

/// The whole document, built once.
pub static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(build);

fn build() -> utoipa::openapi::OpenApi {
    let mut api = ApiDoc::openapi();
    let documented = |path: &str| api.paths.paths.get(path).and_then(only_operation);
    let mut expanded = Vec::new();
    for (documented_path, (aliases, methods)) in [
        ("/api/register", REGISTER),
        ("/api/login", LOGIN),
        ("/api/me", ME),
        ("/api/refresh", REFRESH),
        ("/api/logout", LOGOUT),
    ] {
        let Some(operation) = documented(documented_path) else {
            continue;
        };
        for prefix in PREFIXES {
            for alias in aliases {
                expanded.push((format!("{prefix}{alias}"), item(&operation, methods)));
            }
        }
    }
    for (documented_path, paths) in [
        ("/oauth/token", routes::OAUTH_TOKEN),
        ("/oauth/revoke", routes::OAUTH_REVOKE),
    ] {
        let Some(operation) = documented(documented_path) else {
            continue;
        };
        for path in paths {
            expanded.push((path.to_string(), item(&operation, &[Method::POST])));
        }
    }
    for (path, item) in expanded {
        api.paths.paths.insert(path, item);
    }
    api
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
pub async fn show() -> HttpResponse {
    HttpResponse::Ok().json(&*DOCUMENT)
}
