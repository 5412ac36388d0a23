//! The password-change body (Laravel Breeze: PasswordController@update's rules).

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, at_most_72_bytes, confirmed, not_common, required_text};
use crate::error::FieldErrors;

/// `current_password`, `password` and `password_confirmation`, all required; the new password
/// follows the sign-up's rules.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdatePasswordRequest {
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, format = Password)]
    pub current_password: StringInput,
    #[serde(default)]
    #[validate(
        custom(function = "required_text"),
        length(
            min = 8,
            message = "The :attribute field must be at least 8 characters."
        ),
        custom(function = "at_most_72_bytes"),
        custom(function = "not_common")
    )]
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 72)]
    pub password: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, format = Password)]
    pub password_confirmation: StringInput,
}

impl FormRequest for UpdatePasswordRequest {
    /// Laravel's `confirmed` rule, required here: the confirmation must match.
    fn after(&self, errors: &mut FieldErrors) {
        confirmed(&self.password, &self.password_confirmation, errors);
    }
}
