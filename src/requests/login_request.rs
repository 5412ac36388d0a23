//! The sign-in body (Laravel: app/Http/Requests/LoginRequest.php).

use serde::Deserialize;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, required_text};

/// `email` and `password`; any other field is ignored.
#[derive(Debug, Deserialize, Validate)]
pub struct LoginRequest {
    #[serde(default)]
    #[validate(
        custom(function = "required_text"),
        email(message = "The :attribute field must be a valid email address.")
    )]
    pub email: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    pub password: StringInput,
}

impl FormRequest for LoginRequest {
    /// Emails are matched trimmed and lowercased, as they were stored.
    fn prepare(&mut self) {
        self.email.normalise_email();
    }
}
