//! The bodies of two-factor sign-in (Laravel Fortify's `TwoFactorLoginRequest` and the
//! confirmation and disable forms).

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, required_text};
use crate::error::FieldErrors;

/// Longest code or recovery code read: a recovery code is eleven characters, typed with spaces
/// at most a few more.
const MAX_CODE_CHARS: usize = 64;

/// A code field of at most [`MAX_CODE_CHARS`]; anything longer is no code.
pub(super) fn short_code(field: &StringInput, name: &str, errors: &mut FieldErrors) {
    if let StringInput::Text(text) = field
        && text.chars().count() > MAX_CODE_CHARS
    {
        errors.insert(
            name.to_owned(),
            vec![format!(
                "The {} field must not be greater than {MAX_CODE_CHARS} characters.",
                name.replace('_', " ")
            )],
        );
    }
}

/// `code`: the first code of the pending secret.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ConfirmTwoFactorRequest {
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, min_length = 1, max_length = 64, required = true, pattern = r"\S", example = "123456")]
    pub code: StringInput,
}

impl FormRequest for ConfirmTwoFactorRequest {
    fn prepare(&mut self) {
        self.code.trim();
    }

    fn after(&self, errors: &mut FieldErrors) {
        short_code(&self.code, "code", errors);
    }
}

/// `challenge_token` from the login answer, and `code` or `recovery_code`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct TwoFactorChallengeRequest {
    #[serde(default)]
    #[validate(custom(function = "required_text"))]
    #[schema(value_type = String, min_length = 1, max_length = 64, required = true, pattern = r"\S")]
    pub challenge_token: StringInput,
    /// A TOTP code (six digits); required without `recovery_code`.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 64, example = "123456")]
    pub code: StringInput,
    /// One of the recovery codes (`XXXXX-XXXXX`); required without `code`.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub recovery_code: StringInput,
}

impl FormRequest for TwoFactorChallengeRequest {
    fn prepare(&mut self) {
        self.challenge_token.trim();
        self.code.trim();
        self.recovery_code.trim();
    }

    fn after(&self, errors: &mut FieldErrors) {
        short_code(&self.challenge_token, "challenge_token", errors);
        one_factor(&self.code, &self.recovery_code, errors);
    }
}

/// `current_password` and a current `code` or `recovery_code`: turning two-factor off, new
/// recovery codes.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub struct TwoFactorStepUpRequest {
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub current_password: StringInput,
    /// A TOTP code, or a recovery code.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 64, example = "123456")]
    pub code: StringInput,
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub recovery_code: StringInput,
}

impl FormRequest for TwoFactorStepUpRequest {
    fn prepare(&mut self) {
        self.code.trim();
        self.recovery_code.trim();
    }

    fn after(&self, errors: &mut FieldErrors) {
        short_code(&self.code, "code", errors);
        short_code(&self.recovery_code, "recovery_code", errors);
    }
}

/// `code` or `recovery_code` present, each no longer than a code is.
fn one_factor(code: &StringInput, recovery_code: &StringInput, errors: &mut FieldErrors) {
    short_code(code, "code", errors);
    short_code(recovery_code, "recovery_code", errors);
    let missing = |field: &StringInput| !matches!(field, StringInput::Text(_));
    if missing(code) && missing(recovery_code) {
        errors.insert(
            "code".to_owned(),
            vec!["The code field is required when recovery code is not present.".to_owned()],
        );
    }
}
