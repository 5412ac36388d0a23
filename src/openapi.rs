//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and the
//! request and response types, then widened to every alias, prefix and method that routes.rs
//! mounts (routes.rs hands its table in, so the document cannot drift from the code). Served at
//! `GET /api/openapi.json`.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::controllers::{
    admin_users_controller, auth_controller, consents_controller, email_change_controller,
    email_verification_controller, health_controller, oauth_controller, password_controller,
    password_reset_controller, sessions_controller, two_factor_controller, user_controller,
    userinfo_controller, well_known_controller,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "jwt-auth-server", description = "tymon/jwt-auth's API, an OAuth 2.1 authorization server and an OpenID Provider"),
    paths(
        auth_controller::register,
        auth_controller::login,
        auth_controller::me,
        auth_controller::refresh,
        auth_controller::logout,
        auth_controller::csrf_cookie,
        sessions_controller::index,
        sessions_controller::destroy,
        sessions_controller::destroy_all,
        consents_controller::index,
        consents_controller::destroy,
        password_controller::update,
        two_factor_controller::enable,
        two_factor_controller::confirm,
        two_factor_controller::regenerate_recovery_codes,
        two_factor_controller::disable,
        two_factor_controller::challenge,
        password_reset_controller::forgot,
        password_reset_controller::reset,
        email_verification_controller::notify,
        email_verification_controller::verify,
        oauth_controller::token,
        oauth_controller::revoke,
        oauth_controller::introspect,
        well_known_controller::jwks,
        well_known_controller::authorization_server,
        well_known_controller::openid_configuration,
        userinfo_controller::show,
        user_controller::update_profile,
        user_controller::destroy,
        user_controller::export,
        email_change_controller::request,
        email_change_controller::confirm,
        admin_users_controller::index,
        admin_users_controller::show,
        admin_users_controller::update,
        admin_users_controller::destroy,
        admin_users_controller::destroy_sessions,
        health_controller::show,
        health_controller::live,
        health_controller::ready,
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
        // SPA cookie mode (REFRESH_COOKIE=true): refresh and logout only, with X-XSRF-TOKEN.
        let cookie = ApiKeyValue::with_description(
            "refresh_token",
            "REFRESH_COOKIE=true: the HttpOnly refresh cookie (its name is REFRESH_COOKIE_NAME); \
             the request must also send X-XSRF-TOKEN with the XSRF-TOKEN cookie's value",
        );
        components.add_security_scheme(
            "refresh_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(cookie)),
        );
    }
}

/// Where a documented operation is mounted: the path and method its handler's attribute names,
/// and every path and method routes.rs serves it at.
pub struct Mount {
    pub documented: &'static str,
    pub method: Method,
    pub paths: Vec<String>,
    pub methods: &'static [Method],
}

/// The served document (app data of `GET /api/openapi.json`).
pub struct Document(pub utoipa::openapi::OpenApi);

/// The document with each documented operation copied to every path and method of its `mounts`
/// (several mounts may share a path: `GET` and `DELETE /api/sessions`).
pub fn document(mounts: &[Mount]) -> Document {
    let mut api = ApiDoc::openapi();
    let mut expanded: Vec<(String, Method, Operation)> = Vec::new();
    for mount in mounts {
        let Some(operation) = api
            .paths
            .paths
            .get(mount.documented)
            .and_then(|item| operation(item, &mount.method))
        else {
            continue;
        };
        for path in &mount.paths {
            for method in mount.methods {
                let mut copy = operation.clone();
                copy.operation_id = None;
                expanded.push((path.clone(), method.clone(), copy));
            }
        }
    }
    for (path, _, _) in &expanded {
        api.paths.paths.insert(path.clone(), PathItem::default());
    }
    for (path, method, operation) in expanded {
        if let Some(item) = api.paths.paths.get_mut(&path) {
            set_operation(item, &method, operation);
        }
    }
    Document(api)
}

/// The operation `item` documents for `method`.
fn operation(item: &PathItem, method: &Method) -> Option<Operation> {
    match *method {
        Method::GET => item.get.clone(),
        Method::PUT => item.put.clone(),
        Method::DELETE => item.delete.clone(),
        _ => item.post.clone(),
    }
}

fn set_operation(item: &mut PathItem, method: &Method, operation: Operation) {
    let slot = match *method {
        Method::GET => &mut item.get,
        Method::PUT => &mut item.put,
        Method::DELETE => &mut item.delete,
        _ => &mut item.post,
    };
    *slot = Some(operation);
}

/// `GET /api/openapi.json`.
pub async fn show(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok().json(&document.0)
}
