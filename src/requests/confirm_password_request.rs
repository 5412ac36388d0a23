//! The body of an action that may need the password again (Jetstream's "log out other browser
//! sessions" dialog): `current_password`, which the action decides it needs.

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::StringInput;

/// `current_password`, required when the action ends another session than the caller's.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub struct ConfirmPasswordRequest {
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub current_password: StringInput,
}

impl FormRequest for ConfirmPasswordRequest {}

impl ConfirmPasswordRequest {
    /// The password sent, if text was.
    pub fn current_password(self) -> Option<String> {
        match self.current_password {
            StringInput::Text(text) => Some(text),
            StringInput::Missing | StringInput::NotText => None,
        }
    }
}
