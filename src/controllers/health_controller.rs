//! `GET /health`: whether the server and its database answer (for load balancers and uptime checks);
//! `/health/live` and `/health/ready`, the liveness and readiness probes of an orchestrator.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use std::sync::atomic::Ordering;

use crate::resources::{HealthResource, ProbeResource};
use crate::state::AppState;

/// 200 `{"status":"ok","database":"ok"}`, or 503 with `database: "unavailable"` within DB_TIMEOUT
/// when the database does not answer.
#[utoipa::path(get, path = "/health", tag = "health", responses(
    (status = 200, description = "The server and its database answer", body = HealthResource),
    (status = 503, description = "The database does not answer", body = HealthResource),
))]
pub async fn show(state: web::Data<AppState>) -> HttpResponse {
    match state.db.run(|conn| conn.ping()).await {
        Ok(()) => HttpResponse::Ok().json(HealthResource {
            status: "ok".into(),
            database: "ok".into(),
            error: None,
            message: None,
        }),
        Err(error) => {
            tracing::warn!(%error, "health check: database unavailable");
            HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, 1))
                .json(HealthResource {
                    status: "error".into(),
                    database: "unavailable".into(),
                    error: Some("service_unavailable".into()),
                    message: Some("Service Unavailable".into()),
                })
        }
    }
}

/// `GET /health/live`: 200 while the process serves (a liveness probe: restart me if this fails).
#[utoipa::path(get, path = "/health/live", tag = "health", responses(
    (status = 200, description = "The process serves", body = ProbeResource),
))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(ProbeResource {
        status: "ok".into(),
        failing: vec![],
    })
}

/// `GET /health/ready`: 200 when the database answers, every migration is applied and the signing
/// keys are loaded, and the server is not shutting down; otherwise 503 naming what fails (a
/// readiness probe: send me no traffic while this fails).
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, description = "Ready for traffic", body = ProbeResource),
    (status = 503, description = "Not ready: `failing` lists database, migrations, signing_keys or shutting_down", body = ProbeResource),
))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let mut failing = Vec::new();
    if state.shutting_down.load(Ordering::SeqCst) {
        failing.push("shutting_down".to_owned());
    }
    match state.db.run(|conn| conn.ping()).await {
        Ok(()) => match state.db.pending_migrations().await {
            Ok(0) => {}
            Ok(_) | Err(_) => failing.push("migrations".into()),
        },
        Err(_) => failing.push("database".into()),
    }
    if state.jwt.algo().is_asymmetric() && state.jwt.ring().signing.is_none() {
        failing.push("signing_keys".into());
    }
    if failing.is_empty() {
        HttpResponse::Ok().json(ProbeResource {
            status: "ok".into(),
            failing,
        })
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, 1))
            .json(ProbeResource {
                status: "unavailable".into(),
                failing,
            })
    }
}
