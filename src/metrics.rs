//! Prometheus metrics, served in the text format on their own listener (`METRICS_ADDR`), through
//! the `prometheus` crate's registry and encoder. Labels are route patterns, methods, statuses and
//! outcomes: never an email, a token, an address or a user id.

use std::sync::Arc;
use std::time::Instant;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Every metric of one server: a registry of its own, so two servers in one process never mix.
pub struct Metrics {
    registry: Registry,
    /// `http_requests_total{route,method,status}`.
    pub http_requests: IntCounterVec,
    /// `http_request_duration_seconds{route,method}`.
    pub http_duration: HistogramVec,
    /// `auth_events_total{event}`: every auth event by its name (`audit::AuthEvent::name`).
    pub events: IntCounterVec,
    /// `auth_logins_total{outcome="success|failure|throttled"}`.
    pub logins: IntCounterVec,
    /// `auth_refreshes_total{via="api|oauth"}`.
    pub refreshes: IntCounterVec,
    /// `auth_refresh_reuse_detected_total{via="api|oauth"}`: replays that ended a session.
    pub reuse_detected: IntCounterVec,
    /// `auth_logouts_total{scope="token|all"}`.
    pub logouts: IntCounterVec,
    /// `auth_sessions_ended_total{how="sessions_list|password_change|password_reset"}`: sessions
    /// ended from the sessions list, by a password change or a reset (logouts and reuse are
    /// counted above).
    pub sessions_ended: IntCounterVec,
    /// `bcrypt_queue_depth`: requests waiting for a hashing slot (set when scraped).
    pub bcrypt_queue_depth: IntGauge,
    /// `db_pool_connections{state="open|idle"}` (set when scraped).
    pub db_pool: IntGaugeVec,
    /// `db_pool_max_connections`: DB_POOL_SIZE.
    pub db_pool_max: IntGauge,
    /// `bcrypt_wait_seconds`: how long a request waited for a hashing slot.
    pub bcrypt_wait: Histogram,
    /// `db_pool_wait_seconds`: how long a query waited for a pooled connection.
    pub db_wait: Histogram,
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
        let seconds = vec![
            0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ];
        let wait = |name: &str, help: &str| {
            let metric =
                Histogram::with_opts(HistogramOpts::new(name, help).buckets(seconds.clone()))?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request to response.",
            )
            .buckets(seconds.clone()),
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
            events: counter(
                "auth_events_total",
                "Auth events (the audit log's lines) by name.",
                &["event"],
            )?,
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
            sessions_ended: counter(
                "auth_sessions_ended_total",
                "Sessions ended from the sessions list or by a password change.",
                &["how"],
            )?,
            bcrypt_queue_depth: gauge("bcrypt_queue_depth", "Requests waiting for a bcrypt slot.")?,
            db_pool,
            db_pool_max: gauge("db_pool_max_connections", "DB_POOL_SIZE.")?,
            bcrypt_wait: wait(
                "bcrypt_wait_seconds",
                "Time a request waited for a bcrypt slot.",
            )?,
            db_wait: wait(
                "db_pool_wait_seconds",
                "Time a query waited for a pooled connection.",
            )?,
            registry,
        })
    }

    /// One more of `counter` with `label` (its only label).
    pub fn count(counter: &IntCounterVec, label: &str) {
        counter.with_label_values(&[label]).inc();
    }

    /// `n` more of `counter` with `label` (its only label).
    pub fn count_by(counter: &IntCounterVec, label: &str, n: usize) {
        counter
            .with_label_values(&[label])
            .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
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

/// One HTTP request being timed: [`finish`](Self::finish) records its route and status; dropped
/// unfinished (the client went away, or SHUTDOWN_TIMEOUT ran out) it records `status="cancelled"`,
/// so the slowest requests do not vanish from the figures.
pub struct RequestRecording {
    metrics: Arc<Metrics>,
    method: &'static str,
    started: Instant,
    finished: bool,
}

impl RequestRecording {
    pub fn start(metrics: Arc<Metrics>, method: &str) -> Self {
        Self {
            metrics,
            method: method_label(method),
            started: Instant::now(),
            finished: false,
        }
    }

    /// Records the answer; `route` is the pattern that matched (`None`: no route did).
    pub fn finish(mut self, route: Option<&str>, status: u16) {
        self.finished = true;
        self.record(route, &status.to_string());
    }

    fn record(&self, route: Option<&str>, status: &str) {
        let route = route.unwrap_or("unmatched");
        let metrics = &self.metrics;
        let requests = [route, self.method, status];
        metrics.http_requests.with_label_values(&requests).inc();
        metrics
            .http_duration
            .with_label_values(&[route, self.method])
            .observe(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for RequestRecording {
    fn drop(&mut self) {
        if !self.finished {
            // The route is not known before routing has answered; the method and time are.
            self.record(None, "cancelled");
        }
    }
}

/// A method as a label: those the API uses, and `other` for the rest, so a client inventing
/// methods cannot grow the metrics without bound.
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "HEAD" => "HEAD",
        _ => "other",
    }
}
