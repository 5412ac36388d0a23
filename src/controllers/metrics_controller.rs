//! `GET /metrics` on METRICS_ADDR: the Prometheus text format (Laravel has no built-in
//! equivalent; Horizon and Pulse fill the role there).

use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// Every counter and histogram, with the gauges of the pool and the bcrypt queue read now.
pub async fn show(state: web::Data<AppState>) -> HttpResponse {
    let metrics = &state.metrics;
    let (open, idle, max) = state.db.usage();
    metrics
        .db_pool
        .with_label_values(&["open"])
        .set(i64::from(open));
    metrics
        .db_pool
        .with_label_values(&["idle"])
        .set(i64::from(idle));
    metrics.db_pool_max.set(i64::from(max));
    let waiting = i64::try_from(state.passwords.waiting()).unwrap_or(i64::MAX);
    metrics.bcrypt_queue_depth.set(waiting);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}
