//! The email-change body: the new `email` (the sign-up's rule) and `current_password`.

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, required_text, valid_email};

/// `email` and `current_password`, both required.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ChangeEmailRequest {
    #[serde(default)]
    #[validate(custom(function = "required_text"), custom(function = "valid_email"))]
    #[schema(value_type = String, format = Email, max_length = 255, min_length = 1, required = true, pattern = r"\S")]
    pub email: StringInput,
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, format = Password, min_length = 1, required = true, pattern = r"\S")]
    pub current_password: StringInput,
}

impl FormRequest for ChangeEmailRequest {
    fn prepare(&mut self) {
        self.email.normalise_email();
    }
}
