//! `GET /health`: whether the server and its database answer (for load balancers and uptime checks).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::startup::AppState;

/// 200 `{"status":"ok","database":"ok"}`, or 503 `{"status":"error","database":"unavailable",…}`
/// within DB_TIMEOUT when the database does not answer.
pub async fn show(state: web::Data<AppState>) -> HttpResponse {
    match state.db.run(|conn| conn.ping()).await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok", "database": "ok" })),
        Err(error) => {
            tracing::warn!(%error, "health check: database unavailable");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "error",
                "database": "unavailable",
                "error": "service_unavailable",
                "message": "Service Unavailable",
            }))
        }
    }
}
