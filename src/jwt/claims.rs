//! The claims of a token (tymon/jwt-auth's `Payload`): what every token this server issues says.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::db::Id;
use crate::error::AuthFailure;

/// The claims of every token this server issues. Decoding requires each field with its JSON type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user id.
    pub sub: Id,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// A UUIDv7 in our tokens: unique, and it carries the issue time in milliseconds (see
    /// [`Claims::issued_at_ms`]); a Laravel token's jti read as a uuid (`laravel::laravel_jti`).
    pub jti: Id,
    /// When the login that began this refresh chain happened; a token without it falls back to iat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orig_iat: Option<i64>,
    /// OAuth only: the client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Id>,
    /// OAuth only: the audience, the resource server the token is for (RFC 9068 §2.2, RFC 8707).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// OAuth only: the granted scopes, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The session (the login, or the OAuth refresh-token family) the token belongs to; ending it
    /// rejects the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Id>,
    /// How the login was proven (RFC 8176): `["pwd"]`, `["pwd","otp","mfa"]` or
    /// `["pwd","mfa","rec"]`; kept by every refresh. Absent only in tokens from before two-factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The assurance level: `"1"` for one factor, `"2"` for two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The user's roles, read from the database when the token is issued (`[]` for none); absent
    /// only in tokens from before roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The user's custom claims, written at the top level of the token when it is signed (see
    /// `JwtService::encode`); never read back from a token.
    #[serde(skip)]
    pub custom: Option<Arc<Map<String, Value>>>,
    /// A token of the Laravel app (`jwt::laravel`): its `sub`, the user's Laravel id, until the
    /// guard has read the user (then `sub` is the user's id here). Never in a token of ours.
    #[serde(skip)]
    pub laravel_sub: Option<String>,
}

/// The JOSE `typ` of an OAuth access token (RFC 9068 §2.1).
pub const OAUTH_ACCESS_TOKEN_TYPE: &str = "at+jwt";

impl Claims {
    /// Carries the account's `roles` and custom claims, as read from its row just now.
    pub fn with_account(mut self, roles: Vec<String>, custom: Map<String, Value>) -> Self {
        self.roles = Some(roles);
        self.custom = (!custom.is_empty()).then(|| Arc::new(custom));
        self
    }

    /// Whether this is a token the Laravel app issued (accepted through a switch-over).
    pub fn is_laravels(&self) -> bool {
        self.laravel_sub.is_some()
    }

    /// Whether this is an access token of the OAuth endpoint (it carries a client).
    pub fn is_oauth(&self) -> bool {
        self.client_id.is_some()
    }

    /// Whether this is a client-credentials token: the client acting for itself (its `sub`), with
    /// no user and no session.
    pub fn is_client_credentials(&self) -> bool {
        self.sid.is_none() && self.client_id == Some(self.sub)
    }

    /// The `amr` values, `["pwd"]` for a token from before two-factor.
    pub fn methods(&self) -> Vec<String> {
        self.amr.clone().unwrap_or_else(|| vec!["pwd".to_owned()])
    }

    /// Account operations take a login token of this server's own `/api`: an OAuth client's
    /// access token acts for the user only within its scopes, never on the account itself.
    pub fn first_party_only(&self) -> Result<(), AuthFailure> {
        if self.is_oauth() {
            return Err(AuthFailure::TokenInvalid(
                "An OAuth access token cannot change the account: use a login token",
            ));
        }
        Ok(())
    }

    /// The login time of the chain.
    pub fn orig_iat(&self) -> i64 {
        self.orig_iat.unwrap_or(self.iat)
    }

    /// The issue time to the millisecond, from the UUIDv7 jti (iat in ms for any other jti).
    pub fn issued_at_ms(&self) -> i64 {
        match self.jti.get_timestamp() {
            Some(ts) if self.jti.get_version_num() == 7 => {
                let (secs, nanos) = ts.to_unix();
                secs as i64 * 1000 + i64::from(nanos / 1_000_000)
            }
            _ => self.iat * 1000,
        }
    }
}

/// How a login was proven: what its tokens say in `amr` and `acr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The password alone.
    Password,
    /// The password and a TOTP code.
    PasswordAndCode,
    /// The password and a recovery code (`rec` is this server's own value).
    PasswordAndRecoveryCode,
}

impl Proof {
    /// The proof whose [`amr`](Self::amr) is `amr` (a password alone for anything else).
    pub fn from_amr(amr: &str) -> Self {
        [Self::PasswordAndCode, Self::PasswordAndRecoveryCode]
            .into_iter()
            .find(|proof| proof.amr() == amr)
            .unwrap_or(Self::Password)
    }

    /// The RFC 8176 `amr` values, space-separated, as a session keeps them.
    pub fn amr(self) -> &'static str {
        match self {
            Self::Password => "pwd",
            Self::PasswordAndCode => "pwd otp mfa",
            Self::PasswordAndRecoveryCode => "pwd mfa rec",
        }
    }
}

/// The `acr` of a login proven by `amr`: `"2"` with a second factor (`mfa`), `"1"` without.
pub fn acr_of<'a>(mut amr: impl Iterator<Item = &'a str>) -> &'static str {
    if amr.any(|method| method == "mfa") {
        "2"
    } else {
        "1"
    }
}
