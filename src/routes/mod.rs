//! Every route in one place (Laravel: routes/api.php). The API is mounted twice: under `/api/auth`
//! (tymon's quick start) and `/api` (the JWTAuthController tutorial); aliases share one handler.

mod pages;
mod paths;

pub use pages::{authorize, metrics, pages, spa_demo};
pub use paths::*;

use paths::DOCUMENT;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, web};

use crate::auth::refresh_cookie;

use crate::controllers::{
    admin_users_controller, auth_controller, consents_controller, email_change_controller,
    email_verification_controller, health_controller, oauth_controller, password_controller,
    password_reset_controller, sessions_controller, two_factor_controller, user_controller,
    userinfo_controller, well_known_controller,
};
use crate::openapi;
use crate::telemetry::RouteLabel;

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
    cfg.service(route(
        "",
        &[OPENID_CONFIGURATION],
        get,
        well_known_controller::openid_configuration,
    ));
    // The admin API: at `/api/admin` only, registered before the `/api` scope claims it.
    cfg.service(route(
        "",
        &[ADMIN_USERS],
        get,
        admin_users_controller::index,
    ));
    cfg.service(
        resources(
            "",
            &[ADMIN_USER],
            &[Method::GET, Method::PATCH, Method::DELETE],
        )
        .into_iter()
        .map(|resource| {
            resource
                .route(web::get().to(admin_users_controller::show))
                .route(web::patch().to(admin_users_controller::update))
                .route(web::delete().to(admin_users_controller::destroy))
        })
        .collect::<Vec<_>>(),
    );
    cfg.service(route(
        "",
        &[ADMIN_USER_SESSIONS],
        &[Method::DELETE],
        admin_users_controller::destroy_sessions,
    ));
    cfg.service(route(
        "",
        OAUTH_USERINFO.0,
        OAUTH_USERINFO.1,
        userinfo_controller::show,
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
                .service(route(prefix, &ME.0[..1], ME.1, auth_controller::me))
                .service(
                    resources(
                        prefix,
                        &ME.0[1..],
                        &[Method::GET, Method::POST, Method::DELETE],
                    )
                    .into_iter()
                    .map(|resource| {
                        resource
                            .route(web::get().to(auth_controller::me))
                            .route(web::post().to(auth_controller::me))
                            .route(web::delete().to(user_controller::destroy))
                    })
                    .collect::<Vec<_>>(),
                )
                .service(route(
                    prefix,
                    PROFILE_INFORMATION.0,
                    PROFILE_INFORMATION.1,
                    user_controller::update_profile,
                ))
                .service(route(
                    prefix,
                    CHANGE_EMAIL.0,
                    CHANGE_EMAIL.1,
                    email_change_controller::request,
                ))
                .service(route(
                    prefix,
                    CONFIRM_EMAIL_CHANGE.0,
                    CONFIRM_EMAIL_CHANGE.1,
                    email_change_controller::confirm,
                ))
                .service(route(
                    prefix,
                    USER_EXPORT.0,
                    USER_EXPORT.1,
                    user_controller::export,
                ))
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
