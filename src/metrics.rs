//! Prometheus metrics, served in the text format on their own listener (`METRICS_ADDR`), through
//! the `prometheus` crate's registry and encoder. Labels are route patterns, methods, statuses and
//! outcomes: never an email, a token, an address or a user id.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Every metric of one server: a registry of its own, so two servers in one process never mix.
pub struct Metrics {
    registry: Registry,
    /// `http_requests_total{route,method,status}`.
    pub http_requests: IntCounterVec,
    /// `http_request_duration_seconds{route,method}`.
    pub http_duration: HistogramVec,
    /// `auth_logins_total{outcome="success|failure|throttled"}`.
    pub logins: IntCounterVec,
    /// `auth_refreshes_total{via="api|oauth"}`.
    pub refreshes: IntCounterVec,
    /// `auth_refresh_reuse_detected_total{via="api|oauth"}`: replays that ended a session.
    pub reuse_detected: IntCounterVec,
    /// `auth_logouts_total{scope="token|all"}`.
    pub logouts: IntCounterVec,
    /// `bcrypt_queue_depth`: requests waiting for a hashing slot (set when scraped).
    pub bcrypt_queue_depth: IntGauge,
    /// `db_pool_connections{state="open|idle"}` (set when scraped).
    pub db_pool: IntGaugeVec,
    /// `db_pool_max_connections`: DB_POOL_SIZE.
    pub db_pool_max: IntGauge,
}

impl Metrics {
    /// A registry with every metric, and `build_info{version}` = 1.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let gauge = |name: &str, help: &str| {
            let metric = IntGauge::new(name, help)?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request to response.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        )?;
        registry.register(Box::new(http_duration.clone()))?;
        let db_pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Pooled database connections."),
            &["state"],
        )?;
        registry.register(Box::new(db_pool.clone()))?;
        let build_info =
            IntGaugeVec::new(Opts::new("build_info", "The running build."), &["version"])?;
        registry.register(Box::new(build_info.clone()))?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        Ok(Self {
            http_requests: counter(
                "http_requests_total",
                "HTTP requests answered.",
                &["route", "method", "status"],
            )?,
            http_duration,
            logins: counter(
                "auth_logins_total",
                "Login attempts by outcome.",
                &["outcome"],
            )?,
            refreshes: counter("auth_refreshes_total", "Tokens refreshed.", &["via"])?,
            reuse_detected: counter(
                "auth_refresh_reuse_detected_total",
                "Replayed refreshes that ended a session.",
                &["via"],
            )?,
            logouts: counter("auth_logouts_total", "Logouts by scope.", &["scope"])?,
            bcrypt_queue_depth: gauge("bcrypt_queue_depth", "Requests waiting for a bcrypt slot.")?,
            db_pool,
            db_pool_max: gauge("db_pool_max_connections", "DB_POOL_SIZE.")?,
            registry,
        })
    }

    /// One more of `counter` with `label` (its only label).
    pub fn count(counter: &IntCounterVec, label: &str) {
        counter.with_label_values(&[label]).inc();
    }

    /// The whole registry in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::warn!(%error, "encoding the metrics failed");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}
