//! Every route in one place (Laravel: routes/api.php). The API is mounted twice: under `/api/auth`
//! (tymon's quick start) and `/api` (the JWTAuthController tutorial); aliases share one handler.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Resource, Responder, web};

use crate::controllers::{
    auth_controller, health_controller, oauth_controller, spa_demo_controller,
};

/// Registers `/health` and both API prefixes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(route(&["/health"], &[Method::GET], health_controller::show));
    // OAuth 2.0 beside the Laravel flow; registered before the `/api` scope, which would claim them.
    cfg.service(route(
        &["/oauth/token", "/api/oauth/token"],
        &[Method::POST],
        oauth_controller::token,
    ));
    cfg.service(route(
        &["/oauth/revoke", "/api/oauth/revoke"],
        &[Method::POST],
        oauth_controller::revoke,
    ));
    // `/api/auth` first: the `/api` scope would otherwise claim its paths and answer 404.
    for prefix in ["/api/auth", "/api"] {
        cfg.service(
            web::scope(prefix)
                .service(route(
                    &["/register", "/signup"],
                    &[Method::POST],
                    auth_controller::register,
                ))
                .service(route(
                    &["/login", "/signin"],
                    &[Method::POST],
                    auth_controller::login,
                ))
                .service(route(
                    &["/me", "/user"],
                    &[Method::GET, Method::POST],
                    auth_controller::me,
                ))
                .service(route(
                    &["/refresh"],
                    &[Method::GET, Method::POST],
                    auth_controller::refresh,
                ))
                .service(route(
                    &["/logout"],
                    &[Method::GET, Method::POST],
                    auth_controller::logout,
                )),
        );
    }
}

/// The browser demo at `/` (only with SPA_DEMO=true).
pub fn spa_demo(cfg: &mut web::ServiceConfig) {
    let paths: Vec<&str> = spa_demo_controller::paths().collect();
    cfg.service(route(&paths, &[Method::GET], spa_demo_controller::asset));
}

/// One handler at several paths for several methods; other methods get 405 with `Allow`.
fn route<F, Args>(paths: &[&str], methods: &[Method], handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut resource = web::resource(paths.iter().map(|p| p.to_string()).collect::<Vec<_>>());
    for method in methods {
        resource = resource.route(web::method(method.clone()).to(handler.clone()));
    }
    resource.default_service(web::to(move || {
        let allow = allow.clone();
        async move {
            actix_web::HttpResponse::MethodNotAllowed()
                .insert_header((actix_web::http::header::ALLOW, allow))
                .finish()
        }
    }))
}
