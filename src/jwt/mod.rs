//! JWT claims, signing and decoding (tymon/jwt-auth's JWT manager, `Tymon\JWTAuth\Manager`):
//! HS256 under JWT_SECRET or the key ring's ES256/EdDSA/RS256. Keys and the `Validation` are built
//! once at start; a verified token is remembered ([`VerifiedTokens`]); exp and the refresh window
//! are checked by the guards.
//! Two kinds of token of ours, never confused: the `/api` login's (`typ: JWT`, no client) and the
//! OAuth endpoint's access token (`typ: at+jwt`, RFC 9068, with `client_id` and `aud` = that
//! client); and through a switch-over the Laravel app's (`laravel`), tried only when ours fail.

mod claims;
mod decode;
mod failure;
mod id_token;
pub mod keys;
pub mod laravel;
mod verified;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};

use crate::db::Id;

use crate::config::{Algo, JwtConfig};
use crate::error::AppError;

pub use claims::{Claims, OAUTH_ACCESS_TOKEN_TYPE, Proof, acr_of};
pub use keys::KeyRing;
use laravel::LaravelTokens;
pub use verified::VerifiedTokens;

/// Signs and verifies tokens with the configured secret or key ring, and lifetimes.
pub struct JwtService {
    algo: Algo,
    /// JWT_SECRET's keys: signing under HS256, and verifying tokens without a `kid`.
    secret: Option<(EncodingKey, DecodingKey)>,
    /// The asymmetric keys, replaced whole when the ring is read again.
    ring: RwLock<Arc<KeyRing>>,
    /// Tokens verified already (signature and claims; never their revocation).
    verified: VerifiedTokens,
    /// One set of rules per algorithm, built once.
    validations: HashMap<Algo, Validation>,
    issuer: String,
    ttl: i64,
    refresh_ttl: i64,
    leeway: i64,
    grace: i64,
    race_window: i64,
    /// LARAVEL_JWT_SECRET: the Laravel app's tokens, through a switch-over.
    laravel: Option<LaravelTokens>,
}

impl JwtService {
    /// Builds the secret's keys and the validation rules once; the ring comes with [`set_ring`].
    ///
    /// [`set_ring`]: JwtService::set_ring
    pub fn new(config: &JwtConfig) -> Self {
        let validation = |algo: Algo| {
            let mut validation = Validation::new(algo.algorithm());
            validation.leeway = u64::from(config.leeway_seconds);
            // exp is checked by the guards: the refresh guard accepts expired tokens inside the window.
            validation.validate_exp = false;
            // `aud` is checked against `client_id` and `typ` in `decode`.
            validation.validate_aud = false;
            validation.validate_nbf = true;
            validation.set_required_spec_claims(&["iss", "sub", "exp", "nbf"]);
            validation.set_issuer(&[&config.issuer]);
            (algo, validation)
        };
        let secret = config.secret.as_ref().map(|secret| {
            let bytes = secret.expose().as_bytes();
            (
                EncodingKey::from_secret(bytes),
                DecodingKey::from_secret(bytes),
            )
        });
        Self {
            algo: config.algo,
            secret,
            ring: RwLock::new(Arc::new(KeyRing::default())),
            verified: VerifiedTokens::default(),
            validations: [Algo::HS256, Algo::ES256, Algo::EdDSA, Algo::RS256]
                .into_iter()
                .map(validation)
                .collect(),
            issuer: config.issuer.clone(),
            ttl: i64::from(config.ttl_minutes) * 60,
            refresh_ttl: i64::from(config.refresh_ttl_minutes) * 60,
            leeway: i64::from(config.leeway_seconds),
            grace: i64::from(config.blacklist_grace_seconds),
            race_window: i64::from(config.refresh_race_window_seconds),
            laravel: config
                .laravel
                .as_ref()
                .map(|laravel| LaravelTokens::new(laravel, config.leeway_seconds)),
        }
    }

    /// The algorithm new tokens are signed with.
    pub fn algo(&self) -> Algo {
        self.algo
    }

    /// Replaces the key ring (at start, and each time it is read again).
    pub fn set_ring(&self, ring: KeyRing) {
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
    }

    /// The key ring in use.
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The token lifetime in seconds (`expires_in` of a fresh token).
    pub fn ttl(&self) -> i64 {
        self.ttl
    }

    /// The claims of a login: a new chain, orig_iat = iat = now.
    pub fn login_claims(&self, user_id: Id, now: DateTime<Utc>) -> Claims {
        let iat = now.timestamp();
        Claims {
            iss: self.issuer.clone(),
            sub: user_id,
            iat,
            nbf: iat,
            exp: iat + self.ttl,
            jti: new_jti(now),
            orig_iat: Some(iat),
            client_id: None,
            aud: None,
            scope: None,
            sid: None,
            amr: None,
            acr: None,
            roles: None,
            custom: None,
            laravel_sub: None,
        }
    }

    /// The successor a refresh mints: new jti and times, same user, chain and OAuth session.
    pub fn successor_claims(&self, old: &Claims, now: DateTime<Utc>) -> Claims {
        let iat = now.timestamp();
        self.recorded_successor(old, new_jti(now), iat, iat + self.ttl)
    }

    /// The successor recorded in a blacklist row, rebuilt claim for claim: HS256 over the same
    /// claims signs to the same token under HS256 and EdDSA (ES256 signatures are randomised: the
    /// same claims and jti, another signature), so every caller in the grace gets one successor.
    pub fn recorded_successor(&self, old: &Claims, jti: Id, iat: i64, exp: i64) -> Claims {
        Claims {
            iss: self.issuer.clone(),
            sub: old.sub,
            iat,
            nbf: iat,
            exp,
            jti,
            orig_iat: Some(old.orig_iat()),
            client_id: old.client_id,
            aud: old.aud.clone(),
            scope: old.scope.clone(),
            sid: old.sid,
            amr: Some(old.methods()),
            acr: Some(
                old.acr
                    .clone()
                    .unwrap_or_else(|| acr_of(old.methods().iter().map(String::as_str)).to_owned()),
            ),
            // The account's, set again by whoever issues it (`Claims::with_account`).
            roles: old.roles.clone(),
            custom: old.custom.clone(),
            laravel_sub: None,
        }
    }

    /// Signs `claims`: `typ: at+jwt` for an OAuth access token, `typ: JWT` otherwise. HS256 tokens
    /// carry exactly `{"alg":"HS256","typ":"JWT"}`; the others name their key in `kid`. The
    /// account's custom claims sit at the top level beside ours (ours win a name, which the
    /// account's rules never allow anyway).
    pub fn encode(&self, claims: &Claims) -> Result<String, AppError> {
        let Some(custom) = &claims.custom else {
            return self.sign(claims.is_oauth(), claims);
        };
        let mut object = serde_json::to_value(claims).map_err(|e| AppError::Internal(e.into()))?;
        if let serde_json::Value::Object(map) = &mut object {
            for (name, value) in custom.iter() {
                map.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
        self.sign(claims.is_oauth(), &object)
    }

    fn sign<T: serde::Serialize>(&self, oauth: bool, payload: &T) -> Result<String, AppError> {
        let mut header = Header::new(self.algo.algorithm());
        if oauth {
            header.typ = Some(OAUTH_ACCESS_TOKEN_TYPE.into());
        }
        let signed = if self.algo.is_asymmetric() {
            let ring = self.ring();
            let key = ring
                .signing
                .as_ref()
                .ok_or_else(|| AppError::Internal("the key ring has no current key".into()))?;
            header.alg = key.public.algo.algorithm();
            header.kid = Some(key.public.kid.clone());
            jsonwebtoken::encode(&header, payload, &key.encoding)
        } else {
            let (encoding, _) = self
                .secret
                .as_ref()
                .ok_or_else(|| AppError::Internal("HS256 without JWT_SECRET".into()))?;
            jsonwebtoken::encode(&header, payload, encoding)
        };
        signed.map_err(|e| AppError::Internal(e.into()))
    }

    /// True once `exp` (plus leeway) has passed.
    pub fn is_expired(&self, claims: &Claims, now: DateTime<Utc>) -> bool {
        claims.exp.saturating_add(self.leeway) < now.timestamp()
    }

    /// True while the chain may still be refreshed: now < orig_iat + JWT_REFRESH_TTL (plus leeway).
    pub fn is_refreshable(&self, claims: &Claims, now: DateTime<Utc>) -> bool {
        self.refreshable_for(claims, now) > 0
    }

    /// Seconds left until the chain can no longer be refreshed (0 once it cannot): the refresh
    /// cookie's `Max-Age`.
    pub fn refreshable_for(&self, claims: &Claims, now: DateTime<Utc>) -> i64 {
        claims
            .orig_iat()
            .saturating_add(self.refresh_ttl + self.leeway)
            .saturating_sub(now.timestamp())
            .max(0)
    }

    /// How long a blacklist row must outlive its token: until the token could not be used or
    /// refreshed anyway, or a logged-out token would become refreshable again.
    pub fn blacklist_until(&self, claims: &Claims) -> NaiveDateTime {
        let end = claims
            .exp
            .max(claims.orig_iat().saturating_add(self.refresh_ttl))
            .saturating_add(self.leeway);
        timestamp(end)
    }

    /// How long after a refresh the old token, presented again, counts as a concurrent request
    /// rather than a replay: JWT_REFRESH_RACE_WINDOW, or the grace period if that is longer.
    pub fn race_window(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.race_window.max(self.grace))
    }

    /// Until when a refreshed token keeps working (now when there is no grace period).
    pub fn grace_until(&self, now: DateTime<Utc>) -> NaiveDateTime {
        (now + chrono::Duration::seconds(self.grace)).naive_utc()
    }
}

/// A time-ordered random jti (UUIDv7) stamped with `now`.
fn new_jti(now: DateTime<Utc>) -> Id {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        now.timestamp() as u64,
        now.timestamp_subsec_nanos(),
    );
    Id(uuid::Uuid::new_v7(ts))
}

/// Seconds since the epoch as a UTC timestamp (out-of-range values saturate).
pub fn timestamp(seconds: i64) -> NaiveDateTime {
    DateTime::from_timestamp(seconds, 0)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
        .naive_utc()
}

#[cfg(test)]
mod tests;
