//! Logging: one line per request (method, route, status, latency, request id), echoed to the client
//! as `X-Request-Id`. Never a header value, a query string or a body, so tokens and passwords
//! cannot reach the log.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// The header that carries the request id both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber: RUST_LOG (default `info`) to stderr, a line per finished request.
pub fn init() {
    let default = crate::config::default_of("RUST_LOG").unwrap_or_default();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_span_events(FmtSpan::CLOSE)
        .init();
}

/// The client's `X-Request-Id` when it is a short token of safe characters (so it can be trusted
/// in a log line), else the id tracing-actix-web generated.
pub fn request_id(request: &ServiceRequest) -> String {
    let sent = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        });
    match sent {
        Some(id) => id.to_owned(),
        None => request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default(),
    }
}

/// Puts the request id on the response.
pub fn echo_request_id<B>(id: &str, response: &mut ServiceResponse<B>) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
}

struct Started(Instant);

/// A route's label in the request log and the metrics: the pattern of its first path (its
/// aliases count under it), set on each of its resources by `routes`; read after routing, from the
/// resource's data (no second pass over the route table).
#[derive(Debug, Clone)]
pub struct RouteLabel(pub std::sync::Arc<str>);

impl RouteLabel {
    /// The label of the route `request` was routed to, if any.
    pub fn of(request: &actix_web::HttpRequest) -> Option<&str> {
        request.app_data::<RouteLabel>().map(|label| &*label.0)
    }
}

/// The request span: what tracing-actix-web records, minus anything a client controls freely.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        request.extensions_mut().insert(Started(Instant::now()));
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = tracing::field::Empty,
            request_id = %request_id(request),
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        match outcome {
            Ok(response) => {
                let route = RouteLabel::of(response.request()).unwrap_or("unmatched");
                span.record("route", tracing::field::display(route));
                span.record("status", response.status().as_u16());
                if let Some(Started(start)) = response.request().extensions().get::<Started>() {
                    span.record("latency_ms", start.elapsed().as_secs_f64() * 1000.0);
                }
            }
            Err(error) => {
                span.record("route", tracing::field::display("unmatched"));
                span.record("status", error.as_response_error().status_code().as_u16());
            }
        };
    }
}
