//! `GET /health`: whether the server and its database answer (for load balancers and uptime checks).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::resources::HealthResource;
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
