//! The limits in the database, so that N instances enforce one limit (RATE_LIMIT_STORE=database,
//! the default on PostgreSQL). A limit counts hits per key in fixed windows and admits a hit only
//! while the current and the previous window hold fewer than `max` together: every sliding window
//! of the limit's length lies within those two, so no window ever holds more than `max` hits, also
//! across a boundary (the price: up to one extra window of waiting). One atomic upsert per attempt.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::Limit;
use crate::db::DbConnection;

/// The row an admitted hit returns (its count is not needed: that it came back is the answer).
#[derive(QueryableByName)]
struct Admitted {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    hits: i64,
}

const ATTEMPT_PG: &str = "INSERT INTO rate_limit_counters (key, window_index, hits, expires_at) \
     SELECT $1, $2, 1, $4 \
     WHERE COALESCE((SELECT p.hits FROM rate_limit_counters p WHERE p.key = $1 AND p.window_index = $2 - 1), 0) < $3 \
     ON CONFLICT (key, window_index) DO UPDATE SET hits = rate_limit_counters.hits + 1 \
     WHERE rate_limit_counters.hits + COALESCE((SELECT p.hits FROM rate_limit_counters p \
         WHERE p.key = $1 AND p.window_index = $2 - 1), 0) < $3 \
     RETURNING CAST(hits AS BIGINT) AS hits";
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

fn window_millis(limit: Limit) -> i64 {
    (limit.window.as_millis() as i64).max(1)
}

/// Counts one hit to `key` at `now_ms` if the limit allows it: `Ok(window)` with the window it
/// was counted in (to give it back), or `Err(retry_after)`.
pub fn attempt(
    conn: &mut DbConnection,
    key: &str,
    limit: Limit,
    now_ms: i64,
) -> QueryResult<Result<i64, Duration>> {
    let width = window_millis(limit);
    let window = now_ms / width;
    let sql = match conn {
        DbConnection::Postgres(_) => ATTEMPT_PG,
        DbConnection::Sqlite(_) => ATTEMPT_SQLITE,
    };
    let admitted: Option<Admitted> = diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(window)
        .bind::<Integer, _>(i32::try_from(limit.max).unwrap_or(i32::MAX))
        .bind::<BigInt, _>((window + 2) * width)
        .get_result(conn)
        .optional()?;
    if admitted.is_some() {
        return Ok(Ok(window));
    }
    // Refused: wait until the previous window stops counting, or, if the current one is full
    // itself, until it is the previous one and stops counting too.
    let current_full = counted(conn, key, window)?.0 >= i64::from(limit.max);
    let until = if current_full { window + 2 } else { window + 1 } * width;
    Ok(Err(
        Duration::from_millis((until - now_ms).max(1000) as u64),
    ))
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

/// Whether `key` has no room left at `now_ms`.
pub fn is_full(conn: &mut DbConnection, key: &str, limit: Limit, now_ms: i64) -> QueryResult<bool> {
    let (current, previous) = counted(conn, key, now_ms / window_millis(limit))?;
    Ok(current + previous >= i64::from(limit.max))
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
