//! The admin API's user update (`PATCH /api/admin/users/{id}`): `name`, `roles`, `claims` and
//! `disabled`, each optional. From a form, `roles` may be space-separated, `claims` JSON text and
//! `disabled` `true`/`false`/`1`/`0`.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

use super::FormRequest;
use super::input::{StringInput, no_control_characters, text_if_present};
use crate::error::FieldErrors;
use crate::models::{CustomClaims, Roles};

/// What an admin may change of a user; fields left out stay as they are.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub struct AdminUserUpdate {
    /// The sign-up's rule: at most 100 characters, no control characters.
    #[serde(default)]
    #[validate(
        custom(function = "text_if_present"),
        length(
            max = 100,
            message = "The :attribute field must not be greater than 100 characters."
        ),
        custom(function = "no_control_characters")
    )]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub name: StringInput,
    /// Every role the user has after it (replacing the set).
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub roles: Option<Value>,
    /// The custom-claims object (replacing it; `{}` clears it).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub disabled: Option<Value>,
}

impl AdminUserUpdate {
    /// The new name, if one was sent.
    pub fn name(&self) -> Option<String> {
        self.name.clone().into_option()
    }

    /// The new roles, if sent (valid once the rules passed).
    pub fn roles(&self) -> Option<Result<Roles, String>> {
        let names: Vec<String> = match self.roles.as_ref()? {
            Value::Array(items) => {
                let mut names = Vec::with_capacity(items.len());
                for item in items {
                    match item.as_str() {
                        Some(name) => names.push(name.to_owned()),
                        None => return Some(Err("Each role must be a string.".into())),
                    }
                }
                names
            }
            Value::String(text) => text.split_whitespace().map(str::to_owned).collect(),
            _ => return Some(Err("The roles must be a list of names.".into())),
        };
        Some(Roles::from_names(names))
    }

    /// The new custom claims, if sent.
    pub fn claims(&self) -> Option<Result<CustomClaims, String>> {
        Some(match self.claims.clone()? {
            Value::String(text) => serde_json::from_str(&text)
                .map_err(|_| "The claims must be a JSON object.".to_owned())
                .and_then(CustomClaims::from_value),
            value => CustomClaims::from_value(value),
        })
    }

    /// Whether to disable (or enable) the account, if sent.
    pub fn disabled(&self) -> Option<Result<bool, String>> {
        Some(match self.disabled.as_ref()? {
            Value::Bool(disabled) => Ok(*disabled),
            Value::String(text) if matches!(text.as_str(), "true" | "1") => Ok(true),
            Value::String(text) if matches!(text.as_str(), "false" | "0") => Ok(false),
            _ => Err("The disabled field must be true or false.".into()),
        })
    }
}

impl FormRequest for AdminUserUpdate {
    fn prepare(&mut self) {
        self.name.trim();
    }

    fn after(&self, errors: &mut FieldErrors) {
        let mut refuse = |field: &str, message: String| {
            errors.entry(field.to_owned()).or_default().push(message);
        };
        if let Some(Err(why)) = self.roles() {
            refuse("roles", why);
        }
        if let Some(Err(why)) = self.claims() {
            refuse("claims", why);
        }
        if let Some(Err(why)) = self.disabled() {
            refuse("disabled", why);
        }
    }
}
