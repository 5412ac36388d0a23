//! The sign-up body (Laravel: app/Http/Requests/RegisterRequest.php).

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{
    StringInput, confirmed, no_control_characters, required_text, text_if_present, valid_email,
};
use super::new_password::with_new_password;
use crate::error::FieldErrors;

with_new_password! {
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
    #[schema(value_type = String, min_length = 1, max_length = 100, required = true, pattern = r"\S")]
    pub name: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"), custom(function = "valid_email"))]
    #[schema(value_type = String, format = Email, max_length = 255, min_length = 1, required = true, pattern = r"\S")]
    pub email: StringInput,
    #[serde(default)]
    #[validate(custom(function = "text_if_present"))]
    #[schema(value_type = Option<String>, format = Password)]
    pub password_confirmation: StringInput,
}
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
