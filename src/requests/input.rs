//! One body field as the client sent it. Fields are read this way, not as `String`, so that a
//! missing field or a number where text belongs is a 422 naming the field, not a 400 for the body.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use validator::{ValidateEmail, ValidateLength, ValidationError};

use crate::error::FieldErrors;
use crate::hashing::{MAX_PASSWORD_BYTES, is_common};
use crate::models::normalise_email;

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

    /// The text, if text was sent.
    pub fn into_option(self) -> Option<String> {
        match self {
            Self::Text(text) => Some(text),
            Self::Missing | Self::NotText => None,
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

    /// Emails as they are stored and matched: trimmed, lowercased, the domain in its IDNA ASCII
    /// form (UTS-46, non-transitional), so `ann@bücher.example` is `ann@xn--bcher-kva.example`
    /// and look-alikes cannot register twice. A domain IDNA refuses stays as sent, and fails the
    /// email rule.
    pub fn normalise_email(&mut self) {
        self.trim();
        if let Self::Text(email) = self {
            *email = normalise_email(email);
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

/// The longest email stored, in bytes (Laravel's `max:255`; once normalised, an email is ASCII).
pub const MAX_EMAIL_BYTES: usize = 255;

/// The normalised email if `text` is one a login would accept (the OAuth password grant's
/// `username` is checked with this, exactly like `/api/login`'s email).
pub fn login_email(text: &str) -> Option<String> {
    let mut input = StringInput::Text(text.to_owned());
    input.normalise_email();
    required_text(&input).ok()?;
    valid_email(&input).ok()?;
    Some(input.into_text())
}

/// Laravel's `email|max:255`.
pub fn valid_email(value: &StringInput) -> Result<(), ValidationError> {
    match value.text() {
        Some(text) if !text.validate_email() => Err(error(
            "email",
            "The :attribute field must be a valid email address.",
        )),
        Some(text) if text.len() > MAX_EMAIL_BYTES => Err(error(
            "max",
            "The :attribute field must not be greater than 255 characters.",
        )),
        _ => Ok(()),
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

/// Laravel's `confirmed`: a confirmation that was sent must match the password.
pub fn confirmed(password: &StringInput, confirmation: &StringInput, errors: &mut FieldErrors) {
    if *confirmation != StringInput::Missing && confirmation != password {
        errors
            .entry("password".into())
            .or_default()
            .push("The password field confirmation does not match.".into());
    }
}

/// Not one of the 30,000 most common passwords (compared case-insensitively; never echoed).
pub fn not_common(value: &StringInput) -> Result<(), ValidationError> {
    match value.text() {
        Some(text) if is_common(text) => Err(error(
            "common_password",
            "The :attribute field is one of the most common passwords: choose another.",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_domains_are_stored_in_their_idna_ascii_form() {
        use crate::models::normalise_email;
        assert_eq!(
            normalise_email(" Ann@Bücher.Example "),
            "ann@xn--bcher-kva.example"
        );
        assert_eq!(
            normalise_email("ann@xn--bcher-kva.example"),
            "ann@xn--bcher-kva.example"
        );
        // Non-transitional UTS-46: ß stays a letter of its own instead of becoming "ss".
        assert_eq!(normalise_email("a@faß.de"), "a@xn--fa-hia.de");
        assert_eq!(normalise_email("plain@example.com"), "plain@example.com");
    }

    #[test]
    fn login_emails_must_be_valid_and_at_most_255_bytes() {
        let local = "a".repeat(64);
        let domain = format!(
            "{}.{}.{}.example",
            "b".repeat(60),
            "c".repeat(60),
            "d".repeat(60)
        );
        let longest = format!("{local}@{}", &domain[domain.len() - 190..]);
        assert_eq!(longest.len(), 255);
        assert_eq!(login_email(&longest).as_deref(), Some(longest.as_str()));
        assert_eq!(
            login_email(&format!("{local}@e{}", &domain[domain.len() - 190..])),
            None
        );
        assert_eq!(login_email(&"x".repeat(64 * 1024)), None);
        assert_eq!(login_email("  "), None);
        assert_eq!(
            login_email(" Ann@Bücher.example").as_deref(),
            Some("ann@xn--bcher-kva.example")
        );
    }
}
