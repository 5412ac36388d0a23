//! Two-factor sign-in's answers (Fortify's JSON responses): shown once, never cached.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::Serialize;
use utoipa::ToSchema;

use super::no_store;

/// `POST /user/two-factor-authentication`: the pending secret, for an authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorEnrolmentResource {
    /// The secret in base32 (RFC 4648, no padding), for typing in by hand.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub otpauth_url: String,
    /// The otpauth URL as an SVG QR code.
    pub qr_svg: String,
}

/// `{"recovery_codes":[…8]}`: shown once, stored only as hashes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResource {
    #[schema(example = json!(["X7K2M-9QPLR"]))]
    pub recovery_codes: Vec<String>,
}

/// The answer to the right password of a user with two-factor on: no token yet, a challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorChallengeResource {
    /// Always true: the client asks for the code and posts it to `/two-factor-challenge`.
    pub two_factor: bool,
    /// Opaque, single use, bound to the user and the client's network.
    pub challenge_token: String,
    /// Seconds the challenge may be answered (300).
    pub expires_in: i64,
}

/// What `POST /login` answers with 200, for the OpenAPI document: a token, or a two-factor
/// challenge.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    Token(super::TokenResource),
    Challenge(TwoFactorChallengeResource),
}

macro_rules! no_store_responder {
    ($($resource:ty),*) => {$(
        impl Responder for $resource {
            type Body = BoxBody;

            fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
                no_store(StatusCode::OK, &self)
            }
        }
    )*};
}

no_store_responder!(
    TwoFactorEnrolmentResource,
    RecoveryCodesResource,
    TwoFactorChallengeResource
);
