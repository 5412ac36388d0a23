//! The error answers of the API as OpenAPI response sets, each written once: a handler's
//! `#[utoipa::path(responses(...))]` lists its success and the sets that apply to it. The bodies
//! are [`ErrorBody`], as [`AppError`](super::AppError) renders them.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, PartialSchema};

use super::ErrorBody;

type Responses = BTreeMap<String, RefOr<Response>>;

fn responses(list: &[(&str, &str)]) -> Responses {
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(ErrorBody::schema()))
                .build();
            let response = ResponseBuilder::new()
                .description(*description)
                .content("application/json", content)
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// How a body can fail to arrive: too slow (408) or too large (413).
pub struct BodyTransportErrors;

impl IntoResponses for BodyTransportErrors {
    fn responses() -> Responses {
        responses(&[
            (
                "408",
                "request_timeout: the body did not arrive within 10 s",
            ),
            ("413", "payload_too_large: the body is over 64 KiB"),
        ])
    }
}

/// A FormRequest's failures: transport, then 400 (not JSON, not an object, a key twice, not a
/// form), 415 (neither JSON nor a form) and 422 (validation, with `errors`).
pub struct FormRequestErrors;

impl IntoResponses for FormRequestErrors {
    fn responses() -> Responses {
        let mut all = BodyTransportErrors::responses();
        all.extend(responses(&[
            (
                "400",
                "bad_request: malformed JSON or form, not an object, or a key sent twice",
            ),
            ("415", "unsupported_media_type: neither JSON nor a form"),
            ("422", "validation_failed, with `errors`: field -> messages"),
        ]));
        all
    }
}

/// A guard's refusal (401, with `WWW-Authenticate: Bearer`).
pub struct GuardErrors;

impl IntoResponses for GuardErrors {
    fn responses() -> Responses {
        responses(&[(
            "401",
            "token_not_provided, token_invalid, token_expired, token_blacklisted, refresh_expired, user_not_found or user_disabled",
        )])
    }
}

/// SPA cookie mode's CSRF rule (419): a foreign `Origin`, or the refresh cookie without the
/// `X-XSRF-TOKEN` bound to it.
pub struct CsrfErrors;

impl IntoResponses for CsrfErrors {
    fn responses() -> Responses {
        responses(&[(
            "419",
            "csrf_token_mismatch (REFRESH_COOKIE=true only): an Origin that is neither APP_URL's nor listed in CORS_ALLOWED_ORIGINS, or the refresh cookie without the X-XSRF-TOKEN bound to it",
        )])
    }
}

/// A rate limit (429 with `Retry-After`).
pub struct Throttled;

impl IntoResponses for Throttled {
    fn responses() -> Responses {
        responses(&[("429", "too_many_requests (Retry-After)")])
    }
}

/// The database or the password hasher did not answer in time (503 with `Retry-After`).
pub struct Unavailable;

impl IntoResponses for Unavailable {
    fn responses() -> Responses {
        responses(&[(
            "503",
            "service_unavailable: the database or the password hasher did not answer in time (Retry-After)",
        )])
    }
}
