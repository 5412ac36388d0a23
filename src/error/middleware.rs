//! The middleware hook that gives actix's own error answers (a 404 route, a 405, a CORS refusal, a
//! malformed head) the same JSON body as ours.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};

use super::{AppError, Dependency};

impl AppError {
    /// The error a bare status from actix itself (a 404 route, a 405, a CORS refusal…) stands for.
    pub(super) fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout,
            StatusCode::SERVICE_UNAVAILABLE => {
                Self::Unavailable(Dependency::Server, "framework answered 503".into())
            }
            s if s.is_client_error() => Self::BadRequest("The request could not be understood."),
            s => Self::Internal(format!("framework answered {s}").into()),
        }
    }
}

/// Middleware hook: any error answer that is not already our JSON (actix's own 404/405/400s, CORS
/// refusals) is replaced by the JSON body of the matching [`AppError`], so clients meet one shape.
pub fn json_error_body<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own answers: JSON, and the built-in pages, which answer their errors as pages.
    let is_ours = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v == HeaderValue::from_static("application/json")
            || v == HeaderValue::from_static("text/html; charset=utf-8")
    });
    if is_ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let error = AppError::from_status(res.status());
    let (req, original) = res.into_parts();
    let mut replacement: HttpResponse<BoxBody> = error.error_response();
    if let Some(allow) = original.headers().get(header::ALLOW) {
        replacement
            .headers_mut()
            .insert(header::ALLOW, allow.clone());
    }
    let res: ServiceResponse<EitherBody<B, BoxBody>> =
        ServiceResponse::new(req, replacement).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}
