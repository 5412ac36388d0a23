//! One body field as the client sent it. Fields are read this way, not as `String`, so that a
//! missing field or a number where text belongs is a 422 naming the field, not a 400 for the body.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use validator::{ValidateEmail, ValidateLength, ValidationError};

use crate::auth::password::MAX_PASSWORD_BYTES;

/// A body field: absent (or null), text, or some other JSON value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StringInput {
    #[default]
    Missing,
    Text(String),
    NotText,
}

impl StringInput {
    /// The text, or "" for anything else: call it after validation, which guarantees text.
    pub fn into_text(self) -> String {
        match self {
            Self::Text(text) => text,
            Self::Missing | Self::NotText => String::new(),
        }
    }

    /// Trims surrounding whitespace; an empty result counts as missing (Laravel's TrimStrings and
    /// ConvertEmptyStringsToNull middleware).
    pub fn trim(&mut self) {
        if let Self::Text(text) = self {
            let trimmed = text.trim();
            *self = if trimmed.is_empty() {
                Self::Missing
            } else {
                Self::Text(trimmed.to_owned())
            };
        }
    }

    /// Emails: trimmed and lowercased, as they are stored and matched.
    pub fn normalise_email(&mut self) {
        self.trim();
        if let Self::Text(email) = self {
            *email = email.to_lowercase();
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Missing | Self::NotText => None,
        }
    }
}

impl<'de> Deserialize<'de> for StringInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Null => Self::Missing,
            serde_json::Value::String(text) if text.is_empty() => Self::Missing,
            serde_json::Value::String(text) => Self::Text(text),
            _ => Self::NotText,
        })
    }
}

/// validator attaches the checked value to its errors; ours never carry it anywhere (a password
/// must not reach a response or a log), so it serializes as null.
impl Serialize for StringInput {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_none()
    }
}

impl ValidateEmail for StringInput {
    fn as_email_string(&self) -> Option<Cow<'_, str>> {
        self.text().map(Cow::Borrowed)
    }
}

impl ValidateLength<u64> for StringInput {
    fn length(&self) -> Option<u64> {
        self.text().map(|t| t.chars().count() as u64)
    }
}

fn error(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// Laravel's `required|string`.
pub fn required_text(value: &StringInput) -> Result<(), ValidationError> {
    match value {
        StringInput::Text(_) => Ok(()),
        StringInput::Missing => Err(error("required", "The :attribute field is required.")),
        StringInput::NotText => Err(error("string", "The :attribute field must be a string.")),
    }
}

/// Text only: an optional field that is present must be a string.
pub fn text_if_present(value: &StringInput) -> Result<(), ValidationError> {
    match value {
        StringInput::NotText => Err(error("string", "The :attribute field must be a string.")),
        _ => Ok(()),
    }
}

/// No control characters (newlines, NUL, escapes) in a display name.
pub fn no_control_characters(value: &StringInput) -> Result<(), ValidationError> {
    match value.text() {
        Some(text) if text.chars().any(char::is_control) => Err(error(
            "no_control_characters",
            "The :attribute field must not contain control characters.",
        )),
        _ => Ok(()),
    }
}

/// bcrypt's limit, in UTF-8 bytes (25 × '€' is 25 characters but 75 bytes).
pub fn at_most_72_bytes(value: &StringInput) -> Result<(), ValidationError> {
    match value.text() {
        Some(text) if text.len() > MAX_PASSWORD_BYTES => Err(error(
            "max_bytes",
            "The :attribute field must not be greater than 72 bytes.",
        )),
        _ => Ok(()),
    }
}

/// Not one of the 30,000 most common passwords (compared case-insensitively; never echoed).
pub fn not_common(value: &StringInput) -> Result<(), ValidationError> {
    match value.text() {
        Some(text) if crate::auth::password::is_common(text) => Err(error(
            "common_password",
            "The :attribute field is one of the most common passwords: choose another.",
        )),
        _ => Ok(()),
    }
}
