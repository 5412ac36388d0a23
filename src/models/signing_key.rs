//! The `signing_keys` table: the key ring shared by every instance. A key is `next` (published,
//! not yet signing), `current` (signs; at most one), `previous` (verifies what it signed) or
//! `retired`. Private halves are stored encrypted under APP_KEY (AES-256-GCM).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::crypto::Cipher;
use crate::db::DbConnection;
use crate::jwt::keys::{Algo, KeyError, KeyPair, PublicKey};
use crate::schema::signing_keys;

/// The states of a key, as stored.
pub const NEXT: &str = "next";
pub const CURRENT: &str = "current";
pub const PREVIOUS: &str = "previous";
pub const RETIRED: &str = "retired";

/// A key of the ring, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKey {
    pub kid: String,
    pub algorithm: String,
    pub public_jwk: String,
    /// Base64 of the sealed PKCS#8 private key.
    pub private_key: String,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub state_since: NaiveDateTime,
}

impl SigningKey {
    /// A new key pair of `algo` as a row in `state`, its private key sealed with `cipher`.
    pub fn generate(
        algo: Algo,
        state: &str,
        cipher: &Cipher,
        now: NaiveDateTime,
    ) -> Result<(Self, KeyPair), KeyError> {
        let (pair, pkcs8) = KeyPair::generate(algo)?;
        let row = Self {
            kid: pair.public.kid.clone(),
            algorithm: algo.as_str().into(),
            public_jwk: serde_json::to_string(&pair.public.jwk).map_err(|e| e.to_string())?,
            private_key: STANDARD.encode(cipher.seal(&pkcs8)?),
            state: state.into(),
            created_at: now,
            state_since: now,
        };
        Ok((row, pair))
    }

    /// The algorithm the row names.
    pub fn algo(&self) -> Result<Algo, KeyError> {
        Algo::parse(&self.algorithm).ok_or_else(|| format!("unknown algorithm {}", self.algorithm))
    }

    /// The verifying half, from the stored public JWK.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        let jwk = serde_json::from_str(&self.public_jwk).map_err(|e| e.to_string())?;
        PublicKey::from_jwk(self.algo()?, jwk)
    }

    /// The signing pair, decrypting the stored private key with `cipher`.
    pub fn key_pair(&self, cipher: &Cipher) -> Result<KeyPair, KeyError> {
        let sealed = STANDARD
            .decode(&self.private_key)
            .map_err(|e| e.to_string())?;
        KeyPair::from_pkcs8(self.algo()?, &cipher.open(&sealed)?)
    }

    /// Every key that is not retired.
    pub fn usable(conn: &mut DbConnection) -> QueryResult<Vec<Self>> {
        signing_keys::table
            .filter(signing_keys::state.ne(RETIRED))
            .order(signing_keys::created_at)
            .load(conn)
    }

    /// Every key, oldest first (`keys:list`).
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Self>> {
        signing_keys::table
            .order(signing_keys::created_at)
            .load(conn)
    }

    /// Adds a key (`next`, or see [`SigningKey::make_current`]).
    pub fn create(conn: &mut DbConnection, key: &SigningKey) -> QueryResult<()> {
        diesel::insert_into(signing_keys::table)
            .values(key)
            .execute(conn)
            .map(drop)
    }

    /// Puts `key` in as the current key, the one before it becoming `previous`; one transaction.
    pub fn make_current(
        conn: &mut DbConnection,
        key: &SigningKey,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        conn.write_transaction(|conn| {
            Self::demote_current(conn, now)?;
            Self::create(
                conn,
                &SigningKey {
                    state: CURRENT.into(),
                    state_since: now,
                    ..key.clone()
                },
            )
        })
    }

    /// `keys:rotate`: the oldest `next` key becomes current and the current one `previous`; the
    /// new current kid, or `None` when there is no `next` key.
    pub fn rotate(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Option<String>> {
        conn.write_transaction(|conn| {
            let next: Option<String> = signing_keys::table
                .select(signing_keys::kid)
                .filter(signing_keys::state.eq(NEXT))
                .order(signing_keys::created_at)
                .first(conn)
                .optional()?;
            let Some(kid) = next else {
                return Ok(None);
            };
            Self::demote_current(conn, now)?;
            diesel::update(signing_keys::table.find(&kid))
                .set((
                    signing_keys::state.eq(CURRENT),
                    signing_keys::state_since.eq(now),
                ))
                .execute(conn)?;
            Ok(Some(kid))
        })
    }

    fn demote_current(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(signing_keys::table.filter(signing_keys::state.eq(CURRENT)))
            .set((
                signing_keys::state.eq(PREVIOUS),
                signing_keys::state_since.eq(now),
            ))
            .execute(conn)
            .map(drop)
    }

    /// `keys:retire KID`: a key that does not sign stops verifying (and leaves the JWKS): a
    /// `next` or `previous` one, never the current key, which every instance with an asymmetric
    /// JWT_ALGO signs with (an HS256 start demotes it first, see [`Self::stop_signing`]). False
    /// if `kid` is no such key.
    pub fn retire(conn: &mut DbConnection, kid: &str, now: NaiveDateTime) -> QueryResult<bool> {
        diesel::update(
            signing_keys::table
                .find(kid)
                .filter(signing_keys::state.eq_any([NEXT, PREVIOUS])),
        )
        .set((
            signing_keys::state.eq(RETIRED),
            signing_keys::state_since.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// A start under JWT_ALGO=HS256, where no ring key signs: the current one becomes `previous`
    /// as of `now` (it signs nothing after that), and a `next` one, which never signed, is
    /// retired. The prune then retires the former current key once its tokens are over
    /// ([`Self::retire_stale`]). Returns how many keys changed.
    pub fn stop_signing(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
        let retired = diesel::update(signing_keys::table.filter(signing_keys::state.eq(NEXT)))
            .set((
                signing_keys::state.eq(RETIRED),
                signing_keys::state_since.eq(now),
            ))
            .execute(conn)?;
        let demoted = diesel::update(signing_keys::table.filter(signing_keys::state.eq(CURRENT)))
            .set((
                signing_keys::state.eq(PREVIOUS),
                signing_keys::state_since.eq(now),
            ))
            .execute(conn)?;
        Ok(retired + demoted)
    }

    /// Retires the previous keys that stopped signing before `before`: every token they signed is
    /// past its refresh window. Returns how many.
    pub fn retire_stale(
        conn: &mut DbConnection,
        before: NaiveDateTime,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            signing_keys::table
                .filter(signing_keys::state.eq(PREVIOUS))
                .filter(signing_keys::state_since.lt(before)),
        )
        .set((
            signing_keys::state.eq(RETIRED),
            signing_keys::state_since.eq(now),
        ))
        .execute(conn)
    }
}
