//! Work a running server does on timers, off the request path (Laravel: the scheduler's
//! `model:prune` and `cache:prune-stale-tags`): deleting expired rows and sweeping rate-limit state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::config::Config;
use crate::db::{self, DbConnection, DbPool};
use crate::jwt::KeyRing;
use crate::jwt::keys::KeyPair;
use crate::models::signing_key::{self, SigningKey};
use crate::models::{PruneCutoffs, Pruned, User, prune_expired};
use crate::state::AppState;

/// How often a running server deletes expired blacklist rows and OAuth rows.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Rows per prune statement: small enough that a request meeting one barely waits.
pub const PRUNE_BATCH: i64 = 100;
/// The breath between two prune statements.
const PRUNE_PAUSE: Duration = Duration::from_millis(10);
/// How often the rate-limit windows drop their expired keys.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Runs the pending schema migrations, then brings rows written under older rules up to today's
/// (emails in their IDNA ASCII form); returns the names of the migrations that ran.
pub fn migrate(pool: &DbPool) -> Result<Vec<String>, String> {
    let ran = pool.run_migrations()?;
    let mut conn = pool.get().map_err(|e| format!("cannot migrate: {e}"))?;
    let emails = User::normalise_stored_emails(&mut conn)
        .map_err(|e| format!("normalising stored emails failed: {e}"))?;
    if emails.updated > 0 {
        tracing::info!(
            updated = emails.updated,
            "stored emails normalised to IDNA ASCII"
        );
    }
    for user_id in emails.conflicts {
        tracing::warn!(%user_id, "this user's email normalises to another user's: left unchanged, resolve by hand");
    }
    Ok(ran)
}

/// Starts the hourly prune, the key ring's reload (every JWT_KEYS_RELOAD seconds, so a rotation
/// reaches every instance) and the rate-limit sweep on the running actix system.
pub fn spawn(state: Arc<AppState>) {
    let pruning = state.clone();
    actix_web::rt::spawn(async move {
        let mut every = every(PRUNE_EVERY);
        loop {
            every.tick().await;
            let config = pruning.config.clone();
            match pruning.db.run_long(move |conn| prune(conn, &config)).await {
                Ok(pruned) => tracing::info!(?pruned, "pruned expired tokens"),
                Err(error) => tracing::warn!(%error, "pruning expired tokens failed"),
            }
        }
    });
    let reloading = state.clone();
    actix_web::rt::spawn(async move {
        let period = Duration::from_secs(u64::from(reloading.config.jwt.keys_reload_seconds));
        let mut every = every(period);
        loop {
            every.tick().await;
            let config = reloading.config.clone();
            let ring = reloading
                .db
                .run(SigningKey::usable)
                .await
                .map_err(|e| e.to_string())
                .and_then(|rows| read_keys(rows, &config));
            match ring {
                Ok(ring) => reloading.jwt.set_ring(ring),
                Err(error) => {
                    tracing::warn!(%error, "reading the key ring failed: keeping the last one")
                }
            }
        }
    });
    actix_web::rt::spawn(async move {
        let mut every = every(SWEEP_EVERY);
        loop {
            every.tick().await;
            state.limits.sweep(Instant::now());
        }
    });
}

fn every(period: Duration) -> actix_web::rt::time::Interval {
    let start = actix_web::rt::time::Instant::now() + period;
    actix_web::rt::time::interval_at(start, period)
}

/// One prune run now (the hourly task and the `prune` command), with the windows today's settings
/// allow: a blacklist row stays while its token could be used or refreshed under the current
/// JWT_REFRESH_TTL and JWT_LEEWAY, even if they were raised after the row was written.
pub fn prune(conn: &mut DbConnection, config: &Config) -> QueryResult<Pruned> {
    prune_at(conn, config, db::now())
}

/// [`prune`] as if it ran at `now` (tests pass a later clock instead of waiting for it).
pub fn prune_at(
    conn: &mut DbConnection,
    config: &Config,
    now: NaiveDateTime,
) -> QueryResult<Pruned> {
    let minutes = |m: u32| chrono::Duration::minutes(i64::from(m));
    let leeway = chrono::Duration::seconds(i64::from(config.jwt.leeway_seconds));
    let cutoffs = PruneCutoffs {
        blacklist_expired_before: now - leeway,
        blacklist_written_before: now - minutes(config.jwt.refresh_ttl_minutes) - leeway,
        // Ended more than a refresh window ago: no token of theirs can be presented any more.
        sessions_ended_before: now - minutes(config.jwt.refresh_ttl_minutes),
        oauth_idle_before: now - minutes(config.oauth.refresh_idle_ttl_minutes),
        // A previous key's last token was signed when it stopped signing: usable until its exp,
        // refreshable until its login's window closes, neither later than this.
        // Instances that have not read the ring again yet sign with it up to JWT_KEYS_RELOAD longer.
        keys_unused_since: now
            - minutes(config.jwt.refresh_ttl_minutes.max(config.jwt.ttl_minutes))
            - leeway
            - chrono::Duration::seconds(i64::from(config.jwt.keys_reload_seconds)),
        now,
    };
    let pruned = prune_expired(conn, &cutoffs, PRUNE_BATCH, PRUNE_PAUSE)?;
    crate::models::rate_limit_counter::prune(conn, now.and_utc().timestamp_millis())?;
    // Reset tokens past PASSWORD_RESET_EXPIRE can never be used.
    crate::models::PasswordReset::prune(
        conn,
        now - minutes(config.mail.password_reset_expire_minutes),
    )?;
    Ok(pruned)
}

/// The label of the AES-256-GCM key (under APP_KEY) that seals the ring's private keys.
pub const SIGNING_KEYS_CIPHER: &str = "signing keys at rest";

/// The key ring at start: with an asymmetric JWT_ALGO and no fixed key, a ring without a current
/// key of that algorithm gets one (the old current key becomes `previous`, so nobody is signed
/// out). Then it is read as [`read_keys`] reads it.
pub fn load_keys_at_start(conn: &mut DbConnection, config: &Config) -> Result<KeyRing, String> {
    let algo = config.jwt.algo;
    if !algo.is_asymmetric() {
        // JWT_SECRET signs: a ring left from an asymmetric JWT_ALGO only verifies what it signed,
        // and the prune retires it once that is over, so it leaves the JWKS by itself.
        let changed = SigningKey::stop_signing(conn, db::now())
            .map_err(|e| format!("cannot update the key ring: {e}"))?;
        if changed > 0 {
            tracing::info!(
                keys = changed,
                "JWT_ALGO=HS256: the key ring's keys sign no more and retire once their tokens are over"
            );
        }
    }
    if algo.is_asymmetric() && config.jwt.private_key.is_none() {
        let rows =
            SigningKey::usable(conn).map_err(|e| format!("cannot read the key ring: {e}"))?;
        let has_current = rows
            .iter()
            .any(|row| row.state == signing_key::CURRENT && row.algo() == Ok(algo));
        if !has_current {
            let cipher = config.app_key.cipher(SIGNING_KEYS_CIPHER)?;
            let now = db::now();
            let (row, _) = SigningKey::generate(algo, signing_key::CURRENT, &cipher, now)?;
            match SigningKey::make_current(conn, &row, now) {
                Ok(()) => {
                    tracing::info!(kid = %row.kid, algorithm = algo.as_str(), "generated the current signing key")
                }
                // Another instance starting at the same moment made one first: use the ring as it is.
                Err(error) if crate::db::is_unique_violation(&error) => {}
                Err(error) => return Err(format!("cannot store the new signing key: {error}")),
            }
        }
    }
    let rows = SigningKey::usable(conn).map_err(|e| format!("cannot read the key ring: {e}"))?;
    read_keys(rows, config)
}

/// The ring from its stored rows: the current key signs (under an asymmetric JWT_ALGO), every
/// `next`, `current` and `previous` key verifies; a fixed JWT_PRIVATE_KEY signs instead of the ring.
pub fn read_keys(rows: Vec<SigningKey>, config: &Config) -> Result<KeyRing, String> {
    let algo = config.jwt.algo;
    let fixed = fixed_key(config)?;
    let cipher = config.app_key.cipher(SIGNING_KEYS_CIPHER)?;
    let mut signing = fixed;
    let mut others = Vec::new();
    for row in rows {
        // The ring's current key signs in its own algorithm, whatever this instance's JWT_ALGO:
        // during a rolling switch of algorithm every instance keeps signing with the one key.
        let signs = signing.is_none() && algo.is_asymmetric() && row.state == signing_key::CURRENT;
        if signs {
            signing = Some(
                row.key_pair(&cipher)
                    .map_err(|e| format!("signing key {}: {e}", row.kid))?,
            );
        } else {
            others.push(
                row.public_key()
                    .map_err(|e| format!("key {}: {e}", row.kid))?,
            );
        }
    }
    if algo.is_asymmetric() && signing.is_none() {
        return Err("the key ring has no current key".into());
    }
    Ok(KeyRing::new(signing, others))
}

/// tymon's `JWT_PRIVATE_KEY` (and `JWT_PUBLIC_KEY`, which must be its public half).
fn fixed_key(config: &Config) -> Result<Option<KeyPair>, String> {
    let Some(path) = &config.jwt.private_key else {
        return Ok(None);
    };
    let read = |path: &std::path::Path, var: &str| {
        std::fs::read(path).map_err(|e| format!("{var}: cannot read {}: {e}", path.display()))
    };
    let pair = KeyPair::from_pem(config.jwt.algo, &read(path, "JWT_PRIVATE_KEY")?)
        .map_err(|e| format!("JWT_PRIVATE_KEY: {e}"))?;
    if let Some(public) = &config.jwt.public_key
        && !pair.public.matches_pem(&read(public, "JWT_PUBLIC_KEY")?)
    {
        return Err("JWT_PUBLIC_KEY is not the public half of JWT_PRIVATE_KEY".into());
    }
    Ok(Some(pair))
}
