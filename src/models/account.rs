//! What an account carries into its access tokens (Laravel: a `roles` relation and tymon's
//! `getJWTCustomClaims()`): its role names and its custom claims, and the rules they keep.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::db::{self, DbConnection, Id};
use crate::schema::users;

/// At most this many roles per user.
pub const MAX_ROLES: usize = 32;
/// The longest custom-claims object, as compact JSON.
pub const MAX_CLAIMS_BYTES: usize = 2048;
/// Claim names that only the server sets: a custom claim may not take one.
pub const RESERVED_CLAIMS: [&str; 16] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "sid",
    "typ",
    "scope",
    "client_id",
    "amr",
    "acr",
    "orig_iat",
    "prv",
    "roles",
];

impl super::User {
    /// Writes the user's name; false when there is no such user.
    pub fn set_name(conn: &mut DbConnection, id: Id, name: &str) -> QueryResult<bool> {
        diesel::update(users::table.find(id))
            .set((users::name.eq(name), users::updated_at.eq(db::now())))
            .execute(conn)
            .map(|updated| updated == 1)
    }

    /// Writes the user's roles; false when there is no such user.
    pub fn set_roles(conn: &mut DbConnection, id: Id, roles: &Roles) -> QueryResult<bool> {
        diesel::update(users::table.find(id))
            .set((
                users::roles.eq(roles.to_string()),
                users::updated_at.eq(db::now()),
            ))
            .execute(conn)
            .map(|updated| updated == 1)
    }

    /// Writes the user's custom claims; false when there is no such user.
    pub fn set_claims(conn: &mut DbConnection, id: Id, claims: &CustomClaims) -> QueryResult<bool> {
        diesel::update(users::table.find(id))
            .set((
                users::claims.eq(claims.to_json()),
                users::updated_at.eq(db::now()),
            ))
            .execute(conn)
            .map(|updated| updated == 1)
    }

    /// Disables the account from `since`, or enables it (`None`); false when there is no such
    /// user.
    pub fn set_disabled(
        conn: &mut DbConnection,
        id: Id,
        since: Option<NaiveDateTime>,
    ) -> QueryResult<bool> {
        diesel::update(users::table.find(id))
            .set(users::disabled_at.eq(since))
            .execute(conn)
            .map(|updated| updated == 1)
    }

    /// Deletes the user and every row that belongs to it (sessions with their refresh tokens,
    /// blacklist rows, two-factor codes and challenges, consents, codes, browser sign-ins: by the
    /// foreign keys; reset tokens: by the address). Call inside a write transaction; false when
    /// there was no such user.
    pub fn delete_account(conn: &mut DbConnection, id: Id) -> QueryResult<bool> {
        let Some(email) = users::table
            .find(id)
            .select(users::email)
            .first::<String>(conn)
            .optional()?
        else {
            return Ok(false);
        };
        super::PasswordReset::forget(conn, &email)?;
        diesel::delete(users::table.find(id))
            .execute(conn)
            .map(|deleted| deleted == 1)
    }

    /// The user's roles.
    pub fn role_set(&self) -> Roles {
        Roles::stored(&self.roles)
    }

    /// The user's role names, in order: the row keeps them sorted and distinct (as [`Roles`]
    /// writes them), so they are read without building a set on every request.
    pub fn role_names(&self) -> Vec<String> {
        self.roles.split_whitespace().map(str::to_owned).collect()
    }

    /// The user's custom claims.
    pub fn custom_claims(&self) -> CustomClaims {
        CustomClaims::stored(&self.claims)
    }

    /// Whether the account is disabled: its tokens, refreshes and logins are refused.
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// A user's roles: a sorted set of names of 1 to 64 characters of `a-z 0-9 _ . : -`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(BTreeSet<String>);

impl Roles {
    /// The roles of a stored row (space-separated, checked when written).
    pub fn stored(text: &str) -> Self {
        Self(text.split_whitespace().map(str::to_owned).collect())
    }

    /// `names` as roles, or why not.
    pub fn from_names(names: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut roles = Self::default();
        for name in names {
            roles.add(name)?;
        }
        Ok(roles)
    }

    /// Adds `name`, or says why it cannot be a role (or one more).
    pub fn add(&mut self, name: String) -> Result<(), String> {
        let valid = (1..=64).contains(&name.len())
            && name.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'.' | b':' | b'-')
            });
        if !valid {
            return Err(format!(
                "The role {name:?} must be 1 to 64 characters of a-z, 0-9, _ . : -"
            ));
        }
        self.0.insert(name);
        if self.0.len() > MAX_ROLES {
            return Err(format!("A user has at most {MAX_ROLES} roles."));
        }
        Ok(())
    }

    /// Leaves `name` out.
    pub fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }

    /// Whether `name` is one of them.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(" "))
    }
}

/// A user's custom claims: a JSON object of at most [`MAX_CLAIMS_BYTES`], none of whose names is
/// in [`RESERVED_CLAIMS`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomClaims(Map<String, Value>);

impl CustomClaims {
    /// The claims of a stored row (checked when written; anything else reads as none).
    pub fn stored(text: &str) -> Self {
        // Most accounts have none: no parse at every token issued for them.
        if text == "{}" {
            return Self::default();
        }
        Self(serde_json::from_str(text).unwrap_or_default())
    }

    /// `value` as custom claims, or why not.
    pub fn from_value(value: Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err("The claims must be a JSON object.".into());
        };
        if let Some(name) = map
            .keys()
            .find(|name| RESERVED_CLAIMS.contains(&name.as_str()))
        {
            return Err(format!("The claim {name:?} is set by the server."));
        }
        let claims = Self(map);
        if claims.to_json().len() > MAX_CLAIMS_BYTES {
            return Err(format!(
                "The claims must be at most {MAX_CLAIMS_BYTES} bytes of JSON."
            ));
        }
        Ok(claims)
    }

    /// The object as stored: compact JSON.
    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }

    /// The object.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_are_checked_names_in_a_sorted_set_of_at_most_32() {
        let roles = Roles::from_names(["editor".into(), "admin".into(), "editor".into()]).unwrap();
        assert_eq!(roles.to_string(), "admin editor");
        assert!(Roles::from_names(["Admin".into()]).is_err());
        assert!(Roles::from_names(["a b".into()]).is_err());
        assert!(Roles::from_names(["x".repeat(65)]).is_err());
        assert!(Roles::from_names((0..33).map(|i| format!("r{i}"))).is_err());
        assert_eq!(
            Roles::stored(" admin  team:7 "),
            Roles::from_names(["team:7".into(), "admin".into()]).unwrap()
        );
    }

    #[test]
    fn custom_claims_are_an_object_of_at_most_2_kib_without_reserved_names() {
        let claims =
            CustomClaims::from_value(json!({"tenant": "acme", "plan": {"seats": 5}})).unwrap();
        assert_eq!(CustomClaims::stored(&claims.to_json()), claims);
        assert!(CustomClaims::from_value(json!(["a"])).is_err());
        for name in RESERVED_CLAIMS {
            assert!(
                CustomClaims::from_value(json!({ name: 1 })).is_err(),
                "{name}"
            );
        }
        assert!(CustomClaims::from_value(json!({"blob": "x".repeat(3 * 1024)})).is_err());
        assert!(CustomClaims::stored("not json").is_empty());
    }
}
