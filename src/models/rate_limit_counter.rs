//! The `rate_limit_counters` table: the rate limits in the database, so that N instances enforce
//! one limit (RATE_LIMIT_STORE=database, the default on PostgreSQL). A limit counts hits per key in
//! fixed windows and admits a hit only while the current and the previous window hold fewer than
//! `max` together: every sliding window of the limit's length lies within those two, so no window
//! ever holds more than `max` hits, also across a boundary (the price: up to one extra window of
//! waiting). One atomic upsert per attempt.
//!
//! Counted on its own, that upsert commits asynchronously on PostgreSQL (`synchronous_commit` off
//! for its own transaction only): a hot counter's row lock is then held for the statement, not for
//! a WAL flush, and a crash can forget at most the last fraction of a second of hits — a few extra
//! guesses, never a token or a session. A refresh counts its hit inside its own statement instead
//! (`models::record_refresh`), which commits durably.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::DbConnection;

/// One hit to count: `key` (a hex HMAC: never the email or address itself) may take at most `max`
/// hits in any `width_ms` milliseconds; the hit happens at `now_ms` on the wall clock the
/// instances share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub key: String,
    pub max: u32,
    pub width_ms: i64,
    pub now_ms: i64,
}

impl Hit {
    fn width(&self) -> i64 {
        self.width_ms.max(1)
    }

    /// The index of the fixed window the hit falls in.
    pub fn window(&self) -> i64 {
        self.now_ms / self.width()
    }

    fn max(&self) -> i32 {
        i32::try_from(self.max).unwrap_or(i32::MAX)
    }

    /// When the hit's window stops counting: at the end of the window after it.
    fn expires_at(&self) -> i64 {
        (self.window() + 2) * self.width()
    }

    /// The hit's values for `$1..$4` of [`counter_upsert_pg`] (key, window, max, expires_at).
    pub(crate) fn bind_values(&self) -> (&str, i64, i32, i64) {
        (&self.key, self.window(), self.max(), self.expires_at())
    }
}

/// The upsert that counts a hit if the limit allows it, on PostgreSQL: `$1` key, `$2` window,
/// `$3` max, `$4` expires_at; `$from` is an extra FROM clause of its SELECT and `$gate` an extra
/// condition (both may be empty). It returns the row only when the hit was counted.
macro_rules! counter_upsert_pg {
    ($from:literal, $gate:literal) => {
        concat!(
            "INSERT INTO rate_limit_counters (key, window_index, hits, expires_at) \
             SELECT $1, $2, 1, $4 ",
            $from,
            " WHERE ",
            $gate,
            " COALESCE((SELECT p.hits FROM rate_limit_counters p \
                 WHERE p.key = $1 AND p.window_index = $2 - 1), 0) < $3 \
             ON CONFLICT (key, window_index) DO UPDATE SET hits = rate_limit_counters.hits + 1 \
             WHERE rate_limit_counters.hits + COALESCE((SELECT p.hits FROM rate_limit_counters p \
                 WHERE p.key = $1 AND p.window_index = $2 - 1), 0) < $3 \
             RETURNING CAST(hits AS BIGINT) AS hits"
        )
    };
}
pub(crate) use counter_upsert_pg;

/// The row an admitted hit returns (its count is not needed: that it came back is the answer).
#[derive(QueryableByName)]
struct Admitted {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    hits: i64,
}

const ATTEMPT_PG: &str = counter_upsert_pg!(
    "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit",
    ""
);
const ATTEMPT_SQLITE: &str = "INSERT INTO rate_limit_counters (key, window_index, hits, expires_at) \
     SELECT ?1, ?2, 1, ?4 \
     WHERE COALESCE((SELECT p.hits FROM rate_limit_counters p WHERE p.key = ?1 AND p.window_index = ?2 - 1), 0) < ?3 \
     ON CONFLICT (key, window_index) DO UPDATE SET hits = rate_limit_counters.hits + 1 \
     WHERE rate_limit_counters.hits + COALESCE((SELECT p.hits FROM rate_limit_counters p \
         WHERE p.key = ?1 AND p.window_index = ?2 - 1), 0) < ?3 \
     RETURNING CAST(hits AS BIGINT) AS hits";
const HITS_PG: &str = "SELECT \
     CAST(COALESCE(SUM(CASE WHEN window_index = $2 THEN hits ELSE 0 END), 0) AS BIGINT) AS current, \
     CAST(COALESCE(SUM(CASE WHEN window_index = $2 THEN 0 ELSE hits END), 0) AS BIGINT) AS previous \
     FROM rate_limit_counters WHERE key = $1 AND window_index IN ($2, $2 - 1)";
const HITS_SQLITE: &str = "SELECT \
     CAST(COALESCE(SUM(CASE WHEN window_index = ?2 THEN hits ELSE 0 END), 0) AS BIGINT) AS current, \
     CAST(COALESCE(SUM(CASE WHEN window_index = ?2 THEN 0 ELSE hits END), 0) AS BIGINT) AS previous \
     FROM rate_limit_counters WHERE key = ?1 AND window_index IN (?2, ?2 - 1)";

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    current: i64,
    #[diesel(sql_type = BigInt)]
    previous: i64,
}

/// Counts `hit` if the limit allows it: `Ok(window)` with the window it was counted in (to give it
/// back), or `Err(retry_after)`. Call it outside a transaction: on PostgreSQL it would make the
/// whole transaction commit asynchronously.
pub fn attempt(conn: &mut DbConnection, hit: &Hit) -> QueryResult<Result<i64, Duration>> {
    debug_assert!(!in_transaction(conn), "a rate-limit hit commits on its own");
    let sql = match conn {
        DbConnection::Postgres(_) => ATTEMPT_PG,
        DbConnection::Sqlite(_) => ATTEMPT_SQLITE,
    };
    let (key, window, max, expires_at) = hit.bind_values();
    let admitted: Option<Admitted> = diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(window)
        .bind::<Integer, _>(max)
        .bind::<BigInt, _>(expires_at)
        .get_result(conn)
        .optional()?;
    match admitted {
        Some(_) => Ok(Ok(window)),
        None => retry_after(conn, hit).map(Err),
    }
}

/// How long a refused `hit` must wait: until the previous window stops counting, or, if the
/// current one is full itself, until it is the previous one and stops counting too.
pub fn retry_after(conn: &mut DbConnection, hit: &Hit) -> QueryResult<Duration> {
    let window = hit.window();
    let current_full = counted(conn, &hit.key, window)?.0 >= i64::from(hit.max);
    let until = if current_full { window + 2 } else { window + 1 } * hit.width();
    Ok(Duration::from_millis((until - hit.now_ms).max(1000) as u64))
}

fn in_transaction(conn: &mut DbConnection) -> bool {
    use diesel::connection::{Connection, TransactionManager};
    <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .is_ok_and(|depth| depth.is_some())
}

/// (hits in `window`, hits in the window before it).
fn counted(conn: &mut DbConnection, key: &str, window: i64) -> QueryResult<(i64, i64)> {
    let sql = match conn {
        DbConnection::Postgres(_) => HITS_PG,
        DbConnection::Sqlite(_) => HITS_SQLITE,
    };
    let counted: Counted = diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(window)
        .get_result(conn)?;
    Ok((counted.current, counted.previous))
}

/// Whether `hit` would find no room left (nothing is counted).
pub fn is_full(conn: &mut DbConnection, hit: &Hit) -> QueryResult<bool> {
    let (current, previous) = counted(conn, &hit.key, hit.window())?;
    Ok(current + previous >= i64::from(hit.max))
}

/// Gives back one hit counted in `window`.
pub fn release(conn: &mut DbConnection, key: &str, window: i64) -> QueryResult<()> {
    use crate::schema::rate_limit_counters::dsl;
    diesel::update(
        dsl::rate_limit_counters
            .filter(dsl::key.eq(key))
            .filter(dsl::window_index.eq(window))
            .filter(dsl::hits.gt(0)),
    )
    .set(dsl::hits.eq(dsl::hits - 1))
    .execute(conn)
    .map(drop)
}

/// Forgets every hit of `key`.
pub fn clear(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    use crate::schema::rate_limit_counters::dsl;
    diesel::delete(dsl::rate_limit_counters.filter(dsl::key.eq(key)))
        .execute(conn)
        .map(drop)
}

/// Deletes the windows that count for nothing any more (the hourly prune).
pub fn prune(conn: &mut DbConnection, now_ms: i64) -> QueryResult<usize> {
    use crate::schema::rate_limit_counters::dsl;
    diesel::delete(dsl::rate_limit_counters.filter(dsl::expires_at.lt(now_ms))).execute(conn)
}
