//! The profile body (Fortify's `UpdateUserProfileInformation`): the name, by the sign-up's rule.

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, no_control_characters, required_text};

/// `name`, required: at most 100 characters, no control characters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateProfileRequest {
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
}

impl FormRequest for UpdateProfileRequest {
    fn prepare(&mut self) {
        self.name.trim();
    }
}
