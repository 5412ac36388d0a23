//! Tokens the Laravel app issued with tymon/jwt-auth, accepted through a switch-over
//! (`LARAVEL_JWT_SECRET` until `LARAVEL_TOKENS_UNTIL`): HS256 with the old secret, tymon's `prv`
//! for the user model, `sub` the user's Laravel id (mapped through `users.legacy_id` by the
//! guard), tymon's `exp`/`nbf`/`iat` rules with JWT_LEEWAY. Such a token works as an access token,
//! and `/api/refresh` exchanges it for one of ours.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::Claims;
use super::failure::decode_failure;
use crate::config::LaravelTokensConfig;
use crate::crypto::sha1_hex;
use crate::db::Id;
use crate::error::AuthFailure;

/// Verifies tymon's tokens.
pub struct LaravelTokens {
    decoding: DecodingKey,
    validation: Validation,
    /// sha1 of the user model's class name: tymon's `prv`.
    prv: String,
    until: i64,
    issuer_prefix: Option<String>,
    leeway: i64,
}

/// What tymon puts into a token.
#[derive(Deserialize)]
struct TymonClaims {
    #[serde(default)]
    iss: String,
    iat: i64,
    exp: i64,
    nbf: Option<i64>,
    jti: String,
    sub: serde_json::Value,
    prv: Option<String>,
}

impl LaravelTokens {
    /// The verifier of LARAVEL_JWT_SECRET's tokens, with JWT_LEEWAY on their times.
    pub fn new(config: &LaravelTokensConfig, leeway_seconds: u32) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = u64::from(leeway_seconds);
        // exp is the guards' (the refresh accepts an expired token inside its window).
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.validate_nbf = true;
        // `sub` is often a number in tymon's tokens, which jsonwebtoken's own check would call
        // missing: `TymonClaims` requires it instead.
        validation.set_required_spec_claims(&["exp", "iat"]);
        Self {
            decoding: DecodingKey::from_secret(config.secret.expose().as_bytes()),
            validation,
            prv: sha1_hex(config.user_model.as_bytes()),
            until: config.until.timestamp(),
            issuer_prefix: config.issuer_prefix.clone(),
            leeway: i64::from(leeway_seconds),
        }
    }

    /// The claims of the tymon token `token`, its `sub` kept as `laravel_sub` (the guard maps it),
    /// its `jti` read as [`laravel_jti`], its refresh window counted from its `iat`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AuthFailure> {
        if now.timestamp() > self.until {
            return Err(AuthFailure::TokenInvalid(
                "Tokens of the Laravel app are no longer accepted (LARAVEL_TOKENS_UNTIL has passed)",
            ));
        }
        let claims = jsonwebtoken::decode::<TymonClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| AuthFailure::TokenInvalid(decode_failure(e.kind())))?
            .claims;
        if claims.prv.as_deref() != Some(self.prv.as_str()) {
            return Err(AuthFailure::TokenInvalid(
                "The token was issued for another user model (prv)",
            ));
        }
        if let Some(prefix) = &self.issuer_prefix
            && !claims.iss.starts_with(prefix.as_str())
        {
            return Err(AuthFailure::TokenInvalid(
                "Invalid value provided for claim [iss]",
            ));
        }
        if claims.iat > now.timestamp() + self.leeway {
            return Err(AuthFailure::TokenInvalid(
                "Issued At (iat) timestamp cannot be in the future",
            ));
        }
        let sub = match claims.sub {
            serde_json::Value::String(id) if !id.is_empty() => id,
            serde_json::Value::Number(id) if id.is_i64() || id.is_u64() => id.to_string(),
            _ => {
                return Err(AuthFailure::TokenInvalid(
                    "JWT payload does not contain the required claims",
                ));
            }
        };
        Ok(Claims {
            iss: claims.iss,
            // Unknown until the guard reads the user with this Laravel id.
            sub: Id(uuid::Uuid::nil()),
            iat: claims.iat,
            nbf: claims.nbf.unwrap_or(claims.iat),
            exp: claims.exp,
            jti: laravel_jti(&claims.jti),
            orig_iat: Some(claims.iat),
            client_id: None,
            aud: None,
            scope: None,
            sid: None,
            amr: None,
            acr: None,
            roles: None,
            custom: None,
            laravel_sub: Some(sub),
        })
    }
}

/// Whether `token`'s payload carries tymon's `prv` claim (it is not one of ours).
pub fn looks_like_tymons(token: &str) -> bool {
    use base64::Engine;
    let Some(payload) = token.split('.').nth(1) else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).ok()
        })
        .is_some_and(|claims| claims.contains_key("prv"))
}

/// A tymon `jti` (any string) as the uuid this server keys blacklist rows by: the first 16 bytes
/// of its SHA-256 (with a UUID's version and variant bits set), the same on every instance and in
/// `users:import --blacklist`.
pub fn laravel_jti(jti: &str) -> Id {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, jti.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    Id(uuid::Builder::from_random_bytes(bytes).into_uuid())
}
