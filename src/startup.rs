//! Building and running the application (Laravel: bootstrap/app.php and the HTTP kernel's
//! middleware): the connected, migrated state, the App that main and the tests share, the server.

use std::net::TcpListener;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::http::header;
use actix_web::middleware::{Condition, ErrorHandlers, NormalizePath};
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::config::Config;
use crate::db::{DatabaseUrl, DbPool};
use crate::error::{AppError, json_error_body};
use crate::maintenance;
use crate::routes::{self, routes};
use crate::state::AppState;
use crate::telemetry::{self, RequestSpan};

/// Bodies above this are refused with 413 (from Content-Length, before reading, when it is sent).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a client may take to send the request line and headers.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects (failing within DB_TIMEOUT with the driver's message), migrates, and builds the state.
pub fn build(config: Config) -> Result<AppState, String> {
    let url = DatabaseUrl::parse(&config.database_url).map_err(|e| format!("DATABASE_URL: {e}"))?;
    let db = DbPool::connect(&url, config.db_pool_size, config.db_timeout)?;
    for migration in maintenance::migrate(&db)? {
        tracing::info!(%migration, "migrated");
    }
    tracing::info!(database = %url.describe(), "database ready");
    let ring = {
        let mut conn = db
            .get()
            .map_err(|e| format!("cannot read the key ring: {e}"))?;
        maintenance::load_keys_at_start(&mut conn, &config)?
    };
    let state = AppState::new(config, db)?;
    state.jwt.set_ring(ring);
    Ok(state)
}

/// Routes and the extractor settings they rely on.
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    if state.config.spa_demo {
        cfg.configure(routes::spa_demo);
    }
    cfg.app_data(state)
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .configure(routes)
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(AppError::NotFound)
        }));
}

/// The HTTP server on `listener`, with the middleware stack; await it to serve.
pub fn run(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    maintenance::spawn(state.clone().into_inner());
    let origins = state.config.cors_allowed_origins.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(NormalizePath::trim())
            .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
            .wrap(ErrorHandlers::new().default_handler(json_error_body))
            .wrap_fn(|req, service| {
                let id = telemetry::request_id(&req);
                let response = service.call(req);
                async move {
                    let mut response = response.await?;
                    telemetry::echo_request_id(&id, &mut response);
                    Ok(response)
                }
            })
            .wrap(TracingLogger::<RequestSpan>::new())
            .configure(|cfg| configure(cfg, state.clone()))
    })
    // The request head (line and headers) must arrive within 5 s, else 408 and the connection closes.
    .client_request_timeout(HEAD_TIMEOUT)
    .listen(listener)?
    .run();
    Ok(server)
}

/// CORS for SPAs on other origins; without CORS_ALLOWED_ORIGINS the middleware is not installed.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin().send_wildcard()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}
