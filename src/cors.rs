//! CORS for SPAs on other origins (Laravel: config/cors.php and the HandleCors middleware): which
//! request headers a preflight may ask for, which response headers a page may read, and a refusal
//! that says what was refused.

use actix_cors::{Cors, CorsError};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, ResponseError};

use crate::error::{AppError, json_error_body};

/// The methods a page on a listed origin may use.
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
/// Request headers a preflight may ask for: the API's own, Axios's and Laravel's `bootstrap.js`'s
/// (`X-Requested-With`), a tracing id, and cookie mode's CSRF echo.
const ALLOWED_HEADERS: [&str; 6] = [
    "Authorization",
    "Content-Type",
    "Accept",
    "X-Requested-With",
    "X-Request-Id",
    "X-XSRF-TOKEN",
];
/// Response headers a page may read besides the CORS-safelisted ones: how long to wait after a 429,
/// the id to quote in a bug report, and why a bearer token was refused.
const EXPOSED_HEADERS: [HeaderName; 3] = [
    header::RETRY_AFTER,
    HeaderName::from_static("x-request-id"),
    header::WWW_AUTHENTICATE,
];

/// The CORS middleware for `origins` (`*` for any); in cookie mode the listed origins may send
/// credentials (the cookies).
pub fn cors(origins: &[String], cookie_mode: bool) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(METHODS)
        .allowed_headers(ALLOWED_HEADERS)
        .expose_headers(EXPOSED_HEADERS)
        .max_age(3600);
    if cookie_mode {
        cors = cors.supports_credentials();
    }
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin().send_wildcard()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// The error answers' hook: a CORS refusal becomes 403 naming what was refused; any other error
/// answer gets the JSON body of [`json_error_body`].
pub fn error_body<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let refusal = res
        .response()
        .error()
        .and_then(|error| error.as_error::<CorsError>())
        .map(|error| refusal(error, res.request()));
    match refusal {
        None => json_error_body(res),
        Some(error) => {
            let (req, _) = res.into_parts();
            let response = error.error_response();
            let res: ServiceResponse<EitherBody<B, BoxBody>> =
                ServiceResponse::new(req, response).map_into_right_body();
            Ok(ErrorHandlerResponse::Response(res))
        }
    }
}

/// What `error` refused, in words a developer can act on.
fn refusal(error: &CorsError, req: &HttpRequest) -> AppError {
    // What the request asked for is echoed back cut short: it is the client's own text.
    let asked = |name| {
        let value = req
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        value.chars().take(200).collect::<String>()
    };
    let message = match error {
        CorsError::OriginNotAllowed => format!(
            "CORS: the origin {:?} is not allowed (CORS_ALLOWED_ORIGINS).",
            asked(header::ORIGIN)
        ),
        CorsError::MethodNotAllowed
        | CorsError::BadRequestMethod
        | CorsError::MissingRequestMethod => format!(
            "CORS: the method {:?} is not allowed; allowed: {}.",
            asked(header::ACCESS_CONTROL_REQUEST_METHOD),
            METHODS.join(", ")
        ),
        CorsError::HeadersNotAllowed | CorsError::BadRequestHeaders => {
            let requested = asked(header::ACCESS_CONTROL_REQUEST_HEADERS);
            let refused: Vec<&str> = requested
                .split(',')
                .map(str::trim)
                .filter(|h| !ALLOWED_HEADERS.iter().any(|a| a.eq_ignore_ascii_case(h)))
                .collect();
            format!(
                "CORS: the header {} is not allowed; allowed: {}.",
                refused.join(", "),
                ALLOWED_HEADERS.join(", ")
            )
        }
        _ => "CORS: the request has no usable Origin header.".to_owned(),
    };
    AppError::CorsRefused(message)
}
