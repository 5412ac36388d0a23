//! Building and running the application (Laravel: bootstrap/app.php and the HTTP kernel's
//! middleware): the connected, migrated state, the App that main and the tests share, the server.

mod signals;

use signals::{Signal, signals};

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::dev::{Server, Service, ServiceRequest};
use actix_web::http::Uri;
use actix_web::middleware::{Condition, ErrorHandlers, Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::config::{AppEnv, Config};
use crate::cors;
use crate::db::{DatabaseUrl, DbPool};
use crate::error::AppError;
use crate::maintenance;
use crate::metrics::RequestRecording;
use crate::routes::{self, routes};
use crate::state::AppState;
use crate::telemetry::{self, RequestSpan, RouteLabel};

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
    if let Some(why) = crate::oauth::openid::unavailable(&config) {
        tracing::info!(
            "OpenID Connect is off ({why}): the scope openid is refused with invalid_scope"
        );
    }
    let state = AppState::new(config, db)?;
    state.jwt.set_ring(ring);
    Ok(state)
}

/// Routes and the extractor settings they rely on.
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    if state.config.spa_demo {
        cfg.configure(routes::spa_demo);
    } else {
        cfg.configure(routes::pages);
    }
    cfg.configure(routes::authorize);
    cfg.app_data(state)
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .configure(routes)
        .default_service(not_found());
}

/// The servers of one instance: the API, and `GET /metrics` when it has a listener of its own.
pub struct Servers {
    pub api: Server,
    pub metrics: Option<Server>,
}

impl Servers {
    /// Serves until the API server stops, then stops the metrics server.
    pub async fn serve(self) -> std::io::Result<()> {
        let metrics = self
            .metrics
            .map(|server| (server.handle(), actix_web::rt::spawn(server)));
        let served = self.api.await;
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "the metrics server failed"),
                Err(error) => tracing::warn!(%error, "the metrics server panicked"),
            }
        }
        served
    }
}

/// The HTTP server on `listener`, with the middleware stack, and the metrics server on
/// `metrics` if there is one; `.serve()` them.
pub fn run(
    listener: TcpListener,
    metrics: Option<TcpListener>,
    state: AppState,
) -> std::io::Result<Servers> {
    let state = web::Data::new(state);
    maintenance::spawn(state.clone().into_inner());
    let metrics = metrics
        .map(|listener| metrics_server(listener, state.clone()))
        .transpose()?;
    let origins = state.config.cors_allowed_origins.clone();
    let cookie_mode = state.config.refresh_cookie.is_some();
    let shutdown_timeout = state.config.shutdown_timeout.as_secs();
    let recorder = state.metrics.clone();
    let recording = metrics.is_some();
    let api = HttpServer::new(move || {
        let recorder = recorder.clone();
        App::new()
            .wrap(from_fn(normalize_path))
            // Without CORS_ALLOWED_ORIGINS no CORS header is ever sent.
            .wrap(Condition::new(
                !origins.is_empty(),
                cors::cors(&origins, cookie_mode),
            ))
            .wrap(ErrorHandlers::new().default_handler(cors::error_body))
            // Outside CORS and the error bodies, so preflights and final statuses count; the
            // route is read after routing, from the (normalised, decoded) path that matched.
            // Without METRICS_ADDR nothing is scraped, so nothing is recorded.
            .wrap(Condition::new(
                recording,
                from_fn(move |req: ServiceRequest, next: Next<_>| {
                    let recording =
                        RequestRecording::start(recorder.clone(), req.method().as_str());
                    async move {
                        let response = next.call(req).await;
                        match &response {
                            Ok(response) => recording.finish(
                                RouteLabel::of(response.request()),
                                response.status().as_u16(),
                            ),
                            Err(error) => recording
                                .finish(None, error.as_response_error().status_code().as_u16()),
                        }
                        response
                    }
                }),
            ))
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
    // Signals are handled by `serve_until_signalled` (readiness first, then the stop).
    .disable_signals()
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run();
    Ok(Servers { api, metrics })
}

/// `/api/me/` and `/api//me` are `/api/me` (NormalizePath::trim's rule), rewritten only when the
/// path has a doubled or trailing slash: NormalizePath runs a regex over every path, which the
/// round-three profile found at 7 % of `/api/me`'s CPU.
async fn normalize_path(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    if path.len() > 1 && (path.ends_with('/') || path.contains("//")) {
        let mut normalised = String::with_capacity(path.len());
        for segment in path.split('/').filter(|segment| !segment.is_empty()) {
            normalised.push('/');
            normalised.push_str(segment);
        }
        if normalised.is_empty() {
            normalised.push('/');
        }
        if let Some(query) = req.uri().query() {
            normalised.push('?');
            normalised.push_str(query);
        }
        let mut parts = req.uri().clone().into_parts();
        // A rewrite that does not make a valid URI leaves the request as it came.
        if let Ok(path_and_query) = normalised.parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    next.call(req).await
}

/// 404 in our JSON body, for any path no route claims.
fn not_found() -> actix_web::Route {
    web::to(|| async { Err::<HttpResponse, _>(AppError::NotFound) })
}

/// `GET /metrics` alone, on a listener apart from the API's (a private interface, a sidecar port).
fn metrics_server(listener: TcpListener, state: web::Data<AppState>) -> std::io::Result<Server> {
    let state_timeout = state.config.shutdown_timeout.as_secs();
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(routes::metrics)
            .default_service(not_found())
    })
    .workers(1)
    .client_request_timeout(HEAD_TIMEOUT)
    .disable_signals()
    .shutdown_timeout(state_timeout)
    .listen(listener)?
    .run())
}

/// Serves until SIGTERM or SIGINT, then shuts down gracefully: readiness answers 503 at once
/// while the listener keeps serving for SHUTDOWN_DELAY, so load balancers stop sending; then it
/// stops accepting, the requests in flight finish within SHUTDOWN_TIMEOUT, and it returns.
/// Outside production Ctrl-C (SIGINT) stops at once: nobody balances a developer's laptop. A
/// second signal always stops at once.
pub async fn serve_until_signalled(
    listener: TcpListener,
    metrics: Option<TcpListener>,
    state: AppState,
) -> std::io::Result<()> {
    let shutting_down = state.shutting_down.clone();
    let delay = state.config.shutdown_delay;
    let production = state.config.app_env == AppEnv::Production;
    // Before the address is announced: a signal sent as soon as it is known is handled.
    let mut signals = signals()?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let servers = run(listener, metrics, state)?;
    let handle = servers.api.handle();
    actix_web::rt::spawn(async move {
        let Some(first) = signals.recv().await else {
            return;
        };
        shutting_down.store(true, std::sync::atomic::Ordering::SeqCst);
        if first == Signal::Interrupt && !production {
            tracing::info!("interrupted: stopping at once (outside production)");
            handle.stop(false).await;
            return;
        }
        let forced = handle.clone();
        actix_web::rt::spawn(async move {
            if signals.recv().await.is_some() {
                tracing::info!("a second signal: stopping at once");
                forced.stop(false).await;
            }
        });
        tracing::info!(
            delay_s = delay.as_secs(),
            "shutting down: not ready any more, still serving"
        );
        actix_web::rt::time::sleep(delay).await;
        tracing::info!("shutting down: no new connections; finishing the requests in flight");
        handle.stop(true).await;
    });
    servers.serve().await?;
    tracing::info!("stopped");
    Ok(())
}
