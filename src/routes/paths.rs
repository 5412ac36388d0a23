//! Every path the server answers, with the methods that reach each handler, and the OpenAPI
//! document widened to all of them.

use std::sync::LazyLock;

use actix_web::http::Method;
use actix_web::web;

use crate::openapi::{self, Mount};

/// The API's prefixes: tymon's quick start first (the `/api` scope would otherwise claim its paths).
pub const PREFIXES: [&str; 2] = ["/api/auth", "/api"];
/// Each API route: the paths under every prefix, and the methods that reach the handler.
pub const REGISTER: (&[&str], &[Method]) = (&["/register", "/signup"], &[Method::POST]);
pub const LOGIN: (&[&str], &[Method]) = (&["/login", "/signin"], &[Method::POST]);
pub const ME: (&[&str], &[Method]) = (&["/me", "/user"], &[Method::GET, Method::POST]);
pub const REFRESH: (&[&str], &[Method]) = (&["/refresh"], &[Method::GET, Method::POST]);
pub const LOGOUT: (&[&str], &[Method]) = (&["/logout"], &[Method::GET, Method::POST]);
pub const SESSIONS_INDEX: (&[&str], &[Method]) = (&["/sessions"], &[Method::GET]);
pub const SESSIONS_DESTROY_ALL: (&[&str], &[Method]) = (&["/sessions"], &[Method::DELETE]);
pub const SESSIONS_DESTROY: (&[&str], &[Method]) = (&["/sessions/{id}"], &[Method::DELETE]);
pub const CONSENTS_INDEX: (&[&str], &[Method]) = (&["/consents"], &[Method::GET]);
pub const CONSENTS_DESTROY: (&[&str], &[Method]) = (&["/consents/{client_id}"], &[Method::DELETE]);
pub const PASSWORD: (&[&str], &[Method]) = (&["/password"], &[Method::PUT]);
pub const FORGOT_PASSWORD: (&[&str], &[Method]) = (&["/forgot-password"], &[Method::POST]);
pub const RESET_PASSWORD: (&[&str], &[Method]) = (&["/reset-password"], &[Method::POST]);
pub const VERIFICATION_NOTIFICATION: (&[&str], &[Method]) =
    (&["/email/verification-notification"], &[Method::POST]);
pub const VERIFY_EMAIL: (&[&str], &[Method]) = (&["/email/verify/{id}/{hash}"], &[Method::GET]);
pub const CSRF_COOKIE: (&[&str], &[Method]) = (&["/csrf-cookie"], &[Method::GET]);
pub const TWO_FACTOR: (&[&str], &[Method]) = (
    &["/user/two-factor-authentication"],
    &[Method::POST, Method::DELETE],
);
pub const CONFIRMED_TWO_FACTOR: (&[&str], &[Method]) = (
    &["/user/confirmed-two-factor-authentication"],
    &[Method::POST],
);
pub const RECOVERY_CODES: (&[&str], &[Method]) =
    (&["/user/two-factor-recovery-codes"], &[Method::POST]);
pub const TWO_FACTOR_CHALLENGE: (&[&str], &[Method]) =
    (&["/two-factor-challenge"], &[Method::POST]);
/// Sanctum's path of [`CSRF_COOKIE`], for SPA code written against Sanctum.
pub const PROFILE_INFORMATION: (&[&str], &[Method]) =
    (&["/user/profile-information"], &[Method::PUT]);
pub const CHANGE_EMAIL: (&[&str], &[Method]) = (&["/user/email"], &[Method::PUT]);
pub const CONFIRM_EMAIL_CHANGE: (&[&str], &[Method]) =
    (&["/email/change/{id}/{hash}"], &[Method::GET]);
pub const USER_EXPORT: (&[&str], &[Method]) = (&["/user/export"], &[Method::GET]);
/// `/user` is also an alias of `/me` (GET, POST): DELETE deletes the account.
pub const DELETE_USER: (&[&str], &[Method]) = (&["/user"], &[Method::DELETE]);
pub const SANCTUM_CSRF_COOKIE: &str = "/sanctum/csrf-cookie";
/// OAuth and the rest: full paths.
pub const OAUTH_TOKEN: &[&str] = &["/oauth/token", "/api/oauth/token"];
pub const OAUTH_REVOKE: &[&str] = &["/oauth/revoke", "/api/oauth/revoke"];
pub const OAUTH_INTROSPECT: &[&str] = &["/oauth/introspect", "/api/oauth/introspect"];
pub const JWKS: &str = "/.well-known/jwks.json";
pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
pub const ADMIN_USERS: &str = "/api/admin/users";
pub const ADMIN_USER: &str = "/api/admin/users/{id}";
pub const ADMIN_USER_SESSIONS: &str = "/api/admin/users/{id}/sessions";
pub const OAUTH_USERINFO: (&[&str], &[Method]) =
    (&["/oauth/userinfo"], &[Method::GET, Method::POST]);

/// The OpenAPI document, widened to every path and method mounted here; built once.
pub(super) static DOCUMENT: LazyLock<web::Data<openapi::Document>> =
    LazyLock::new(|| web::Data::new(openapi::document(&mounts())));

/// Where each documented operation is served: its aliases under both prefixes, and OAuth's paths.
fn mounts() -> Vec<Mount> {
    let api = |documented, method, (aliases, methods): (&[&str], &'static [Method])| Mount {
        documented,
        method,
        paths: PREFIXES
            .iter()
            .flat_map(|prefix| aliases.iter().map(move |alias| format!("{prefix}{alias}")))
            .collect(),
        methods,
    };
    // One path, one operation per method: each documented for its own method only.
    let admin = |path: &'static str, method: Method| Mount {
        documented: path,
        paths: vec![path.to_owned()],
        methods: match method {
            Method::GET => &[Method::GET],
            Method::PATCH => &[Method::PATCH],
            _ => &[Method::DELETE],
        },
        method,
    };
    let full = |documented, paths: &[&str]| Mount {
        documented,
        method: Method::POST,
        paths: paths.iter().map(|p| p.to_string()).collect(),
        methods: &[Method::POST],
    };
    vec![
        api("/api/register", Method::POST, REGISTER),
        api("/api/login", Method::POST, LOGIN),
        api("/api/me", Method::GET, ME),
        api("/api/refresh", Method::POST, REFRESH),
        api("/api/logout", Method::POST, LOGOUT),
        api("/api/sessions", Method::GET, SESSIONS_INDEX),
        api("/api/sessions", Method::DELETE, SESSIONS_DESTROY_ALL),
        api("/api/sessions/{id}", Method::DELETE, SESSIONS_DESTROY),
        api("/api/consents", Method::GET, CONSENTS_INDEX),
        api(
            "/api/consents/{client_id}",
            Method::DELETE,
            CONSENTS_DESTROY,
        ),
        api("/api/password", Method::PUT, PASSWORD),
        // One path, two operations: each documented for its own method only.
        api(
            "/api/user/two-factor-authentication",
            Method::POST,
            (TWO_FACTOR.0, &[Method::POST]),
        ),
        api(
            "/api/user/two-factor-authentication",
            Method::DELETE,
            (TWO_FACTOR.0, &[Method::DELETE]),
        ),
        api(
            "/api/user/confirmed-two-factor-authentication",
            Method::POST,
            CONFIRMED_TWO_FACTOR,
        ),
        api(
            "/api/user/two-factor-recovery-codes",
            Method::POST,
            RECOVERY_CODES,
        ),
        api(
            "/api/two-factor-challenge",
            Method::POST,
            TWO_FACTOR_CHALLENGE,
        ),
        api(
            "/api/user/profile-information",
            Method::PUT,
            PROFILE_INFORMATION,
        ),
        api("/api/user/export", Method::GET, USER_EXPORT),
        api("/api/user/email", Method::PUT, CHANGE_EMAIL),
        api(
            "/api/email/change/{id}/{hash}",
            Method::GET,
            CONFIRM_EMAIL_CHANGE,
        ),
        api("/api/user", Method::DELETE, DELETE_USER),
        api("/api/forgot-password", Method::POST, FORGOT_PASSWORD),
        api("/api/reset-password", Method::POST, RESET_PASSWORD),
        api(
            "/api/email/verification-notification",
            Method::POST,
            VERIFICATION_NOTIFICATION,
        ),
        api("/api/email/verify/{id}/{hash}", Method::GET, VERIFY_EMAIL),
        Mount {
            paths: PREFIXES
                .iter()
                .map(|prefix| format!("{prefix}{}", CSRF_COOKIE.0[0]))
                .chain([SANCTUM_CSRF_COOKIE.to_owned()])
                .collect(),
            ..api("/api/csrf-cookie", Method::GET, CSRF_COOKIE)
        },
        full("/oauth/token", OAUTH_TOKEN),
        full("/oauth/revoke", OAUTH_REVOKE),
        full("/oauth/introspect", OAUTH_INTROSPECT),
        admin(ADMIN_USERS, Method::GET),
        admin(ADMIN_USER, Method::GET),
        admin(ADMIN_USER, Method::PATCH),
        admin(ADMIN_USER, Method::DELETE),
        admin(ADMIN_USER_SESSIONS, Method::DELETE),
        Mount {
            documented: "/oauth/userinfo",
            method: Method::GET,
            paths: OAUTH_USERINFO.0.iter().map(|p| p.to_string()).collect(),
            methods: OAUTH_USERINFO.1,
        },
    ]
}
