//! Work a running server does on timers, off the request path (Laravel: the scheduler's
//! `model:prune` and `cache:prune-stale-tags`): deleting expired rows and sweeping rate-limit state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::QueryResult;

use crate::config::Config;
use crate::db::{self, DbConnection, DbPool};
use crate::models::{PruneCutoffs, Pruned, User, prune_expired};
use crate::state::AppState;

/// How often a running server deletes expired blacklist rows and OAuth rows.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Rows per prune statement.
pub const PRUNE_BATCH: i64 = 1000;
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

/// Starts the hourly prune and the rate-limit sweep on the running actix system.
pub fn spawn(state: Arc<AppState>) {
    let pruning = state.clone();
    actix_web::rt::spawn(async move {
        let mut every = every(PRUNE_EVERY);
        loop {
            every.tick().await;
            let config = pruning.config.clone();
            match pruning.db.run(move |conn| prune(conn, &config)).await {
                Ok(pruned) => tracing::info!(?pruned, "pruned expired tokens"),
                Err(error) => tracing::warn!(%error, "pruning expired tokens failed"),
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
    let now = db::now();
    let minutes = |m: u32| chrono::Duration::minutes(i64::from(m));
    let leeway = chrono::Duration::seconds(i64::from(config.jwt.leeway_seconds));
    let cutoffs = PruneCutoffs {
        blacklist_expired_before: now - leeway,
        blacklist_written_before: now - minutes(config.jwt.refresh_ttl_minutes) - leeway,
        // Ended more than a refresh window ago: no token of theirs can be presented any more.
        sessions_ended_before: now - minutes(config.jwt.refresh_ttl_minutes),
        oauth_idle_before: now - minutes(config.oauth.refresh_idle_ttl_minutes),
    };
    prune_expired(conn, &cutoffs, PRUNE_BATCH, PRUNE_PAUSE)
}
