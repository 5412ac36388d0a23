//! The password broker's bodies (Laravel Breeze: PasswordResetLinkController and
//! NewPasswordController's rules).

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, confirmed, required_text, valid_email};
use super::new_password::with_new_password;
use crate::error::FieldErrors;

/// `email`; any other field is ignored.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ForgotPasswordRequest {
    #[serde(default)]
    #[validate(custom(function = "required_text"), custom(function = "valid_email"))]
    #[schema(value_type = String, format = Email, max_length = 255, min_length = 1, required = true, pattern = r"\S")]
    pub email: StringInput,
}

impl FormRequest for ForgotPasswordRequest {
    /// Matched as emails are stored.
    fn prepare(&mut self) {
        self.email.normalise_email();
    }
}

with_new_password! {
/// `token` and `email` from the reset link, then the new `password` and its
/// `password_confirmation`, all required.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ResetPasswordRequest {
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, min_length = 1, required = true, pattern = r"\S")]
    pub token: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"), custom(function = "valid_email"))]
    #[schema(value_type = String, format = Email, max_length = 255, min_length = 1, required = true, pattern = r"\S")]
    pub email: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, format = Password, min_length = 1, required = true, pattern = r"\S")]
    pub password_confirmation: StringInput,
}
}

impl FormRequest for ResetPasswordRequest {
    fn prepare(&mut self) {
        self.token.trim();
        self.email.normalise_email();
    }

    /// Laravel's `confirmed` rule, required here: the confirmation must match.
    fn after(&self, errors: &mut FieldErrors) {
        confirmed(&self.password, &self.password_confirmation, errors);
    }
}
