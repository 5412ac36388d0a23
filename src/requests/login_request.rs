//! The sign-in body (Laravel: app/Http/Requests/LoginRequest.php).

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, required_text, valid_email};

/// `email` and `password`; any other field is ignored.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    #[serde(default)]
    #[validate(custom(function = "required_text"), custom(function = "valid_email"))]
    #[schema(value_type = String, format = Email, max_length = 255, min_length = 1, required = true, pattern = r"\S")]
    pub email: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, format = Password, min_length = 1, required = true, pattern = r"\S")]
    pub password: StringInput,
}

impl FormRequest for LoginRequest {
    /// Emails are matched trimmed and lowercased, as they were stored.
    fn prepare(&mut self) {
        self.email.normalise_email();
    }
}
