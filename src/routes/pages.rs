//! The routes outside the API: `GET /metrics` on its own listener, the built-in pages of the
//! mailed links and of `/oauth/authorize`, and the browser demo.

use actix_web::http::Method;
use actix_web::web;

use super::{resources, route};
use crate::controllers::{
    authorize_controller, metrics_controller, page, pages_controller, spa_demo_controller,
};

/// `GET /metrics`, alone on the METRICS_ADDR listener.
pub fn metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(route(
        "",
        &["/metrics"],
        &[Method::GET],
        metrics_controller::show,
    ));
}

/// The built-in pages of the mailed links (without SPA_DEMO, whose pages have those paths).
pub fn pages(cfg: &mut web::ServiceConfig) {
    let get = &[Method::GET];
    cfg.service(
        resources("", &["/reset-password"], &[Method::GET, Method::POST])
            .into_iter()
            .map(|resource| {
                resource
                    .route(web::get().to(pages_controller::reset_form))
                    .route(web::post().to(pages_controller::reset))
            })
            .collect::<Vec<_>>(),
    );
    cfg.service(route(
        "",
        &["/email-verified"],
        get,
        pages_controller::email_verified,
    ));
}

/// `GET /oauth/authorize` and the posts of its pages, with their stylesheet (served in every
/// mode).
pub fn authorize(cfg: &mut web::ServiceConfig) {
    let (get, post) = (&[Method::GET], &[Method::POST]);
    cfg.service(route("", &["/pages.css"], get, page::stylesheet));
    cfg.service(route(
        "",
        &["/oauth/authorize"],
        get,
        authorize_controller::authorize,
    ));
    cfg.service(route(
        "",
        &["/oauth/authorize/sign-in"],
        post,
        authorize_controller::sign_in,
    ));
    cfg.service(route(
        "",
        &["/oauth/authorize/two-factor"],
        post,
        authorize_controller::two_factor,
    ));
    cfg.service(route(
        "",
        &["/oauth/authorize/consent"],
        post,
        authorize_controller::consent,
    ));
    cfg.service(route(
        "",
        &["/oauth/logout"],
        &[Method::GET, Method::POST],
        authorize_controller::end_session,
    ));
}

/// The browser demo at `/` (only with SPA_DEMO=true).
pub fn spa_demo(cfg: &mut web::ServiceConfig) {
    let paths: Vec<&str> = spa_demo_controller::paths().collect();
    cfg.service(route(
        "",
        &paths,
        &[Method::GET],
        spa_demo_controller::asset,
    ));
}
