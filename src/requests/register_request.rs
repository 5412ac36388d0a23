//! The sign-up body (Laravel: app/Http/Requests/RegisterRequest.php).

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{
    StringInput, at_most_72_bytes, confirmed, no_control_characters, not_common, required_text,
    text_if_present, valid_email,
};
use crate::error::FieldErrors;

/// `name`, `email`, `password`, optional `password_confirmation`; any other field is ignored.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RegisterRequest {
    #[serde(default)]
    #[validate(
        custom(function = "required_text"),
        length(
            max = 100,
            message = "The :attribute field must not be greater than 100 characters."
        ),
        custom(function = "no_control_characters")
    )]
    #[schema(value_type = String, min_length = 1, max_length = 100)]
    pub name: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"), custom(function = "valid_email"))]
    #[schema(value_type = String, format = Email, max_length = 255)]
    pub email: StringInput,
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
    #[validate(custom(function = "text_if_present"))]
    #[schema(value_type = Option<String>, format = Password)]
    pub password_confirmation: StringInput,
}

impl FormRequest for RegisterRequest {
    /// Names and emails are trimmed, emails lowercased; passwords are taken exactly as sent.
    fn prepare(&mut self) {
        self.name.trim();
        self.email.normalise_email();
    }

    /// Laravel's `confirmed` rule: when a confirmation is sent, it must match.
    fn after(&self, errors: &mut FieldErrors) {
        confirmed(&self.password, &self.password_confirmation, errors);
    }
}
