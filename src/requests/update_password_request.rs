//! The password-change body (Laravel Breeze: PasswordController@update's rules).

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, confirmed, required_text};
use super::new_password::with_new_password;
use super::two_factor_requests::short_code;
use crate::error::FieldErrors;

with_new_password! {
/// `current_password`, `password` and `password_confirmation`, all required, and `code` while
/// two-factor is on; the new password follows the sign-up's rules.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdatePasswordRequest {
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, format = Password, min_length = 1, required = true, pattern = r"\S")]
    pub current_password: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, format = Password, min_length = 1, required = true, pattern = r"\S")]
    pub password_confirmation: StringInput,
    /// Required while two-factor is on: a current TOTP code, or a recovery code.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 64, example = "123456")]
    pub code: StringInput,
}
}

impl FormRequest for UpdatePasswordRequest {
    /// Laravel's `confirmed` rule, required here: the confirmation must match.
    fn prepare(&mut self) {
        self.code.trim();
    }

    fn after(&self, errors: &mut FieldErrors) {
        confirmed(&self.password, &self.password_confirmation, errors);
        short_code(&self.code, "code", errors);
    }
}
