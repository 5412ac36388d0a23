//! Every route in one place (Laravel: routes/api.php). The API is mounted twice: under `/api/auth`
//! (tymon's quick start) and `/api` (the JWTAuthController tutorial); aliases share one handler.

mod pages;

pub use pages::{authorize, metrics, pages, spa_demo};

use std::sync::LazyLock;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, web};

use crate::auth::refresh_cookie;

use crate::controllers::{
    auth_controller, consents_controller, email_verification_controller, health_controller,
    oauth_controller, password_controller, password_reset_controller, sessions_controller,
    two_factor_controller, well_known_controller,
};
use crate::openapi::{self, Mount};
use crate::telemetry::RouteLabel;

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
pub const SANCTUM_CSRF_COOKIE: &str = "/sanctum/csrf-cookie";
/// OAuth and the rest: full paths.
pub const OAUTH_TOKEN: &[&str] = &["/oauth/token", "/api/oauth/token"];
pub const OAUTH_REVOKE: &[&str] = &["/oauth/revoke", "/api/oauth/revoke"];
pub const OAUTH_INTROSPECT: &[&str] = &["/oauth/introspect", "/api/oauth/introspect"];
pub const JWKS: &str = "/.well-known/jwks.json";
pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";

/// The OpenAPI document, widened to every path and method mounted here; built once.
static DOCUMENT: LazyLock<web::Data<openapi::Document>> =
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
        api(
            "/api/user/two-factor-authentication",
            Method::POST,
            TWO_FACTOR,
        ),
        api(
            "/api/user/two-factor-authentication",
            Method::DELETE,
            TWO_FACTOR,
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
    ]
}

/// Registers `/health`, the OpenAPI document, OAuth and both API prefixes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(DOCUMENT.clone());
    cfg.service(route(
        "",
        &["/health"],
        &[Method::GET],
        health_controller::show,
    ));
    cfg.service(route(
        "",
        &["/health/live"],
        &[Method::GET],
        health_controller::live,
    ));
    cfg.service(route(
        "",
        &["/health/ready"],
        &[Method::GET],
        health_controller::ready,
    ));
    cfg.service(route(
        "",
        &["/api/openapi.json"],
        &[Method::GET],
        openapi::show,
    ));
    // Registered before the `/api` scope, which would otherwise claim `/api/oauth/…`.
    let post = &[Method::POST];
    cfg.service(route("", OAUTH_TOKEN, post, oauth_controller::token));
    cfg.service(route("", OAUTH_REVOKE, post, oauth_controller::revoke));
    cfg.service(route(
        "",
        OAUTH_INTROSPECT,
        post,
        oauth_controller::introspect,
    ));
    let get = &[Method::GET];
    cfg.service(route("", &[JWKS], get, well_known_controller::jwks));
    cfg.service(
        route(
            "",
            &[SANCTUM_CSRF_COOKIE],
            get,
            auth_controller::csrf_cookie,
        )
        .into_iter()
        .map(|resource| resource.wrap(from_fn(refresh_cookie::allowed_origins_only)))
        .collect::<Vec<_>>(),
    );
    cfg.service(route(
        "",
        &[AUTHORIZATION_SERVER_METADATA],
        get,
        well_known_controller::authorization_server,
    ));
    for prefix in PREFIXES {
        // The routes that set or read SPA cookie mode's cookies refuse foreign origins.
        let origin_checked = |resources: Vec<Resource>| {
            resources
                .into_iter()
                .map(|resource| resource.wrap(from_fn(refresh_cookie::allowed_origins_only)))
                .collect::<Vec<_>>()
        };
        let (sessions, sessions_methods) = (SESSIONS_INDEX.0, &[Method::GET, Method::DELETE]);
        cfg.service(
            web::scope(prefix)
                .service(route(
                    prefix,
                    REGISTER.0,
                    REGISTER.1,
                    auth_controller::register,
                ))
                .service(origin_checked(route(
                    prefix,
                    LOGIN.0,
                    LOGIN.1,
                    auth_controller::login,
                )))
                .service(route(prefix, ME.0, ME.1, auth_controller::me))
                .service(origin_checked(route(
                    prefix,
                    CSRF_COOKIE.0,
                    CSRF_COOKIE.1,
                    auth_controller::csrf_cookie,
                )))
                .service(origin_checked(route(
                    prefix,
                    REFRESH.0,
                    REFRESH.1,
                    auth_controller::refresh,
                )))
                .service(origin_checked(route(
                    prefix,
                    LOGOUT.0,
                    LOGOUT.1,
                    auth_controller::logout,
                )))
                .service(
                    resources(prefix, sessions, sessions_methods)
                        .into_iter()
                        .map(|resource| {
                            resource
                                .route(web::get().to(sessions_controller::index))
                                .route(web::delete().to(sessions_controller::destroy_all))
                        })
                        .collect::<Vec<_>>(),
                )
                .service(route(
                    prefix,
                    SESSIONS_DESTROY.0,
                    SESSIONS_DESTROY.1,
                    sessions_controller::destroy,
                ))
                .service(route(
                    prefix,
                    CONSENTS_INDEX.0,
                    CONSENTS_INDEX.1,
                    consents_controller::index,
                ))
                .service(route(
                    prefix,
                    CONSENTS_DESTROY.0,
                    CONSENTS_DESTROY.1,
                    consents_controller::destroy,
                ))
                .service(route(
                    prefix,
                    PASSWORD.0,
                    PASSWORD.1,
                    password_controller::update,
                ))
                .service(
                    resources(prefix, TWO_FACTOR.0, TWO_FACTOR.1)
                        .into_iter()
                        .map(|resource| {
                            resource
                                .route(web::post().to(two_factor_controller::enable))
                                .route(web::delete().to(two_factor_controller::disable))
                        })
                        .collect::<Vec<_>>(),
                )
                .service(route(
                    prefix,
                    CONFIRMED_TWO_FACTOR.0,
                    CONFIRMED_TWO_FACTOR.1,
                    two_factor_controller::confirm,
                ))
                .service(route(
                    prefix,
                    RECOVERY_CODES.0,
                    RECOVERY_CODES.1,
                    two_factor_controller::regenerate_recovery_codes,
                ))
                .service(origin_checked(route(
                    prefix,
                    TWO_FACTOR_CHALLENGE.0,
                    TWO_FACTOR_CHALLENGE.1,
                    two_factor_controller::challenge,
                )))
                .service(route(
                    prefix,
                    FORGOT_PASSWORD.0,
                    FORGOT_PASSWORD.1,
                    password_reset_controller::forgot,
                ))
                .service(route(
                    prefix,
                    RESET_PASSWORD.0,
                    RESET_PASSWORD.1,
                    password_reset_controller::reset,
                ))
                .service(route(
                    prefix,
                    VERIFICATION_NOTIFICATION.0,
                    VERIFICATION_NOTIFICATION.1,
                    email_verification_controller::notify,
                ))
                .service(route(
                    prefix,
                    VERIFY_EMAIL.0,
                    VERIFY_EMAIL.1,
                    email_verification_controller::verify,
                )),
        );
    }
}

/// One handler at several paths for several methods; other methods get 405 with `Allow`.
fn route<F, Args>(prefix: &str, paths: &[&str], methods: &[Method], handler: F) -> Vec<Resource>
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    resources(prefix, paths, methods)
        .into_iter()
        .map(|mut resource| {
            for method in methods {
                resource = resource.route(web::method(method.clone()).to(handler.clone()));
            }
            resource
        })
        .collect()
}

/// A resource for each of `paths`, whose other methods than `allowed` get 405 with `Allow`; their
/// routes are added by the caller. One resource per path, not one of several paths: actix matches
/// a single static path by comparing strings, and several by running a regex set on every
/// request. Each carries the route's label for the log and metrics: its first path under `prefix`
/// (aliases count under it).
fn resources(prefix: &str, paths: &[&str], allowed: &[Method]) -> Vec<Resource> {
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let label = RouteLabel(format!("{prefix}{}", paths.first().unwrap_or(&"")).into());
    paths
        .iter()
        .map(|path| {
            let allow = allow.clone();
            web::resource(*path)
                .app_data(label.clone())
                .default_service(web::to(move || {
                    let allow = allow.clone();
                    async move {
                        HttpResponse::MethodNotAllowed()
                            .insert_header((actix_web::http::header::ALLOW, allow))
                            .finish()
                    }
                }))
        })
        .collect()
}
