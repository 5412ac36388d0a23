//! Laravel's FormRequests: the body is read as JSON or as a form (415 otherwise), normalised,
//! validated, and only then handed to the controller as `Validated<T>`; and the client's address
//! (`$request->ip()`) as `ClientIp`.

mod admin_user_request;
mod change_email_request;
mod client_ip;
mod confirm_password_request;
mod input;
mod login_request;
mod multipart;
mod new_password;
mod password_reset_requests;
mod profile_request;
mod register_request;
mod two_factor_requests;
mod update_password_request;
mod user_agent;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors};

pub use admin_user_request::AdminUserUpdate;
pub use change_email_request::ChangeEmailRequest;
pub use client_ip::{ClientIp, client_ip};
pub use confirm_password_request::ConfirmPasswordRequest;
pub use input::{MAX_EMAIL_BYTES, StringInput, login_email};
pub use login_request::LoginRequest;
pub use multipart::boundary as multipart_boundary;
pub use password_reset_requests::{ForgotPasswordRequest, ResetPasswordRequest};
pub use profile_request::UpdateProfileRequest;
pub use register_request::RegisterRequest;
pub use two_factor_requests::{
    ConfirmTwoFactorRequest, TwoFactorChallengeRequest, TwoFactorStepUpRequest,
};
pub use update_password_request::UpdatePasswordRequest;
pub use user_agent::UserAgent;

use crate::error::{AppError, AppResult, FieldErrors};

/// A request body type with its rules.
pub trait FormRequest: DeserializeOwned + Validate {
    /// Laravel's `prepareForValidation`: trim, lowercase… before the rules run.
    fn prepare(&mut self) {}

    /// Laravel's `after` hook: rules that look at several fields at once.
    fn after(&self, _errors: &mut FieldErrors) {}
}

/// A body that passed its [`FormRequest`]'s rules.
pub struct Validated<T>(pub T);

/// How long a body may take to arrive: a client trickling bytes holds a connection (never a worker
/// thread: reading is async) for at most this long, then gets 408.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The raw body: at most 64 KiB (413, decided from Content-Length before reading when it is sent),
/// arriving within [`BODY_TIMEOUT`] (408).
pub struct Body(pub web::Bytes);

impl FromRequest for Body {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let read = actix_web::rt::time::timeout(BODY_TIMEOUT, bytes)
                .await
                .map_err(|_| AppError::RequestTimeout)?;
            read.map(Body)
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => AppError::PayloadTooLarge,
                    _ => AppError::BadRequest("The request body could not be read."),
                })
        })
    }
}

/// The two body encodings the API reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Form,
}

impl<T: FormRequest + 'static> FromRequest for Validated<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let format = body_format(req);
        let body = Body::from_request(req, payload);
        let boundary = multipart::boundary(req);
        Box::pin(async move {
            let Body(body) = body.await?;
            let (format, body) = readable(format, boundary, body)?;
            validate(format, &body).map(Validated)
        })
    }
}

/// A body that may be left out, as a `DELETE` usually is: no body at all (with or without a
/// Content-Type), or the JSON `null`, reads as `{}`; any other body as [`Validated`] reads it.
pub struct OptionalBody<T>(pub T);

impl<T: FormRequest + 'static> FromRequest for OptionalBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let format = body_format(req);
        let body = Body::from_request(req, payload);
        let boundary = multipart::boundary(req);
        Box::pin(async move {
            let Body(body) = body.await?;
            let is_json = matches!(format, Ok(BodyFormat::Json));
            if body.is_empty() || (is_json && body.trim_ascii() == b"null") {
                return validate(BodyFormat::Json, b"").map(OptionalBody);
            }
            let (format, body) = readable(format, boundary, body)?;
            validate(format, &body).map(OptionalBody)
        })
    }
}

/// Parses `body` as `T`, normalises it and applies its rules: what [`Validated`] does once the
/// body has arrived (public so the fuzz targets can drive it without HTTP).
pub fn validate<T: FormRequest>(format: BodyFormat, body: &[u8]) -> AppResult<T> {
    let parsed = match format {
        BodyFormat::Json => json_object(body).and_then(|object| {
            T::deserialize(serde_json::Value::Object(object))
                .map_err(|_| AppError::BadRequest("The request body is not valid JSON."))
        }),
        BodyFormat::Form => serde_urlencoded::from_bytes(body)
            .map_err(|_| AppError::BadRequest("The request body is not a valid form.")),
    };
    let mut input: T = parsed?;
    input.prepare();
    let mut errors = input.validate().err().map(field_errors).unwrap_or_default();
    input.after(&mut errors);
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The body as a JSON object; an empty body is an empty object, so the rules say what is missing.
/// A key that appears twice (`{"email":"a","email":"b"}`) is a 400, never silently the last one.
pub fn json_object(body: &[u8]) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    if body.is_empty() {
        return Ok(Default::default());
    }
    match serde_json::from_slice::<UniqueKeys>(body) {
        Ok(UniqueKeys(object)) => Ok(object),
        Err(error) if error.to_string().starts_with(DUPLICATE_KEY) => Err(AppError::BadRequest(
            "The request body has a key more than once.",
        )),
        Err(error) if error.is_data() => Err(AppError::BadRequest(
            "The request body must be a JSON object.",
        )),
        Err(_) => Err(AppError::BadRequest("The request body is not valid JSON.")),
    }
}

const DUPLICATE_KEY: &str = "duplicate key";

/// A JSON object whose keys are all different.
struct UniqueKeys(serde_json::Map<String, serde_json::Value>);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueKeys;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UniqueKeys, A::Error> {
                let mut object = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value()?;
                    if object.insert(key, value).is_some() {
                        return Err(serde::de::Error::custom(DUPLICATE_KEY));
                    }
                }
                Ok(UniqueKeys(object))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The body as the API reads it: JSON, or a form — a `multipart/form-data` body (with its
/// `boundary`) is read as the form of its text fields. `format` is what [`body_format`] said.
pub fn readable(
    format: AppResult<BodyFormat>,
    boundary: Option<String>,
    body: web::Bytes,
) -> AppResult<(BodyFormat, web::Bytes)> {
    match boundary {
        Some(boundary) => Ok((
            BodyFormat::Form,
            multipart::to_form(&boundary, &body)?.into(),
        )),
        None => Ok((format?, body)),
    }
}

/// The body encoding from Content-Type; anything but JSON or a form is 415 (multipart is read by
/// [`readable`]).
pub fn body_format(req: &HttpRequest) -> AppResult<BodyFormat> {
    let mime = req
        .mime_type()
        .ok()
        .flatten()
        .ok_or(AppError::UnsupportedMediaType)?;
    match (
        mime.type_().as_str(),
        mime.subtype().as_str(),
        mime.suffix().map(|s| s.as_str()),
    ) {
        ("application", "json", _) | ("application", _, Some("json")) => Ok(BodyFormat::Json),
        ("application", "x-www-form-urlencoded", _) => Ok(BodyFormat::Form),
        _ => Err(AppError::UnsupportedMediaType),
    }
}

/// validator's errors as Laravel's `errors` object: field -> messages, in rule order.
fn field_errors(errors: ValidationErrors) -> FieldErrors {
    errors
        .field_errors()
        .into_iter()
        .map(|(field, list)| {
            let messages = list
                .iter()
                .map(|e| {
                    let message = e
                        .message
                        .as_deref()
                        .unwrap_or("The :attribute field is invalid.");
                    message.replace(":attribute", &field.replace('_', " "))
                })
                .collect();
            (field.to_string(), messages)
        })
        .collect()
}
