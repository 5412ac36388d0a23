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
//! (`models::record_refresh`), which commits durably when it refreshes and asynchronously when the
//! limit refused it (then it wrote nothing but a row lock).

use std::time::Duration;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Integer, Text};

use crate::db::DbConnection;

/// One hit to count: `key` (a hex HMAC: never the email or address itself) may take at most `max`
/// hits in any `width_ms` milliseconds; the hit happens at `now_ms` on the wall clock the
/// instances share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// What is counted, as a hex HMAC.
    pub key: String,
    /// The most hits in any window.
    pub max: u32,
    /// The window's length in milliseconds.
    pub width_ms: i64,
    /// When the hit happens, in wall-clock milliseconds.
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

    /// The hit's values as the PostgreSQL statements bind them ([`HitParams`]).
    pub(crate) fn params(hit: Option<&Hit>) -> HitParams {
        match hit {
            Some(hit) => HitParams {
                key: hit.key.clone(),
                window: hit.window(),
                max: hit.max(),
                expires_at: hit.expires_at(),
                counted: true,
            },
            None => HitParams {
                key: String::new(),
                window: 0,
                max: 0,
                expires_at: 0,
                counted: false,
            },
        }
    }
}

/// A hit's values, bound once each at the head of a PostgreSQL statement as the row `p` (so the
/// statement can be a query type of its own, whose prepared statement diesel caches: it never
/// caches a `sql_query`'s, and PostgreSQL would parse and plan it on every request).
pub(crate) struct HitParams {
    key: String,
    window: i64,
    max: i32,
    expires_at: i64,
    /// False: the statement counts nothing (the limits are off or kept in memory).
    counted: bool,
}

impl HitParams {
    /// Writes `p`'s first columns: `key, win, max, expires, counted`.
    pub(crate) fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<Text, _>(&self.key)?;
        out.push_sql("::text AS key, ");
        out.push_bind_param::<BigInt, _>(&self.window)?;
        out.push_sql("::bigint AS win, ");
        out.push_bind_param::<Integer, _>(&self.max)?;
        out.push_sql("::int AS max, ");
        out.push_bind_param::<BigInt, _>(&self.expires_at)?;
        out.push_sql("::bigint AS expires, ");
        out.push_bind_param::<Bool, _>(&self.counted)?;
        out.push_sql("::bool AS counted");
        Ok(())
    }
}

/// The upsert that counts the hit of row `p` ([`HitParams`]) if `p.counted` and the limit allow
/// it, on PostgreSQL; `$from` is an extra FROM item of its SELECT (may be empty). It returns the
/// row only when the hit was counted.
macro_rules! counter_upsert_pg {
    ($from:literal) => {
        concat!(
            "INSERT INTO rate_limit_counters (key, window_index, hits, expires_at) \
             SELECT p.key, p.win, 1, p.expires FROM p",
            $from,
            " WHERE p.counted AND COALESCE((SELECT c.hits FROM rate_limit_counters c \
                 WHERE c.key = p.key AND c.window_index = p.win - 1), 0) < p.max \
             ON CONFLICT (key, window_index) DO UPDATE SET hits = rate_limit_counters.hits + 1 \
             WHERE rate_limit_counters.hits + COALESCE((SELECT c.hits FROM rate_limit_counters c, p \
                 WHERE c.key = p.key AND c.window_index = p.win - 1), 0) < (SELECT p.max FROM p) \
             RETURNING CAST(rate_limit_counters.hits AS BIGINT) AS hits"
        )
    };
}
pub(crate) use counter_upsert_pg;

/// [`attempt`] on PostgreSQL, committing asynchronously (see the module's comment).
#[derive(QueryId)]
struct AttemptPg {
    hit: HitParams,
}

impl QueryFragment<Pg> for AttemptPg {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH p AS (SELECT ");
        self.hit.push(&mut out)?;
        out.push_sql(") ");
        out.push_sql(counter_upsert_pg!(
            ", (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"
        ));
        Ok(())
    }
}

impl Query for AttemptPg {
    type SqlType = BigInt;
}

impl RunQueryDsl<PgConnection> for AttemptPg {}

/// The row an admitted hit returns (its count is not needed: that it came back is the answer).
#[derive(QueryableByName)]
struct Admitted {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    hits: i64,
}

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
/// back), or `Err(retry_after)`. Outside a transaction only (see [`outside_a_transaction`]).
pub fn attempt(conn: &mut DbConnection, hit: &Hit) -> QueryResult<Result<i64, Duration>> {
    outside_a_transaction(conn)?;
    let window = hit.window();
    let admitted = match conn {
        DbConnection::Postgres(pg) => AttemptPg {
            hit: Hit::params(Some(hit)),
        }
        .get_result::<i64>(pg)
        .optional()?
        .is_some(),
        DbConnection::Sqlite(_) => diesel::sql_query(ATTEMPT_SQLITE)
            .bind::<Text, _>(&hit.key)
            .bind::<BigInt, _>(window)
            .bind::<Integer, _>(hit.max())
            .bind::<BigInt, _>(hit.expires_at())
            .get_result::<Admitted>(conn)
            .optional()?
            .is_some(),
    };
    if admitted {
        Ok(Ok(window))
    } else {
        retry_after(conn, hit).map(Err)
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

/// Refuses to run inside a transaction: a statement that may turn `synchronous_commit` off would
/// make the caller's whole transaction commit asynchronously (a checked error, not a debug check).
pub(crate) fn outside_a_transaction(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::{Connection, TransactionManager};
    let depth =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()?;
    match depth {
        None => Ok(()),
        Some(_) => Err(diesel::result::Error::QueryBuilderError(
            "a rate-limit hit commits on its own: count it outside a transaction".into(),
        )),
    }
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
