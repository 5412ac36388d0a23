//! A refresh's writes (tymon/jwt-auth's `refresh()` with the blacklist on): the shared rate limit's
//! hit, the old token blacklisted with its successor, the session's `last_seen_at` — one statement
//! on PostgreSQL, so a refresh costs one round trip and one commit whichever store counts its limit.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};

use super::rate_limit_counter::{self, Hit, counter_upsert_pg};
use super::{Added, BlacklistedToken, Session};
use crate::db::sql_types::Uuid;
use crate::db::{DbConnection, Id};
use crate::schema::blacklisted_tokens;

/// What [`record_refresh`] did.
#[derive(Debug)]
pub enum Refreshed {
    /// The shared limit refused the hit: nothing was written; retry after this long.
    Throttled(Duration),
    /// The hit counted (or there was none), and the token was blacklisted by this call or before.
    Blacklisted(Added),
}

/// `$1..$4` the hit (unused unless `$13`), `$5..$12` the blacklist row, `$13` whether a hit is
/// counted, `$14` the session. Each part runs only if the one before it happened; data-modifying
/// CTEs run once each, whether or not the final SELECT reads them. A refused hit wrote nothing but
/// a row lock, so its statement commits asynchronously: a client hammering past its limit then
/// holds the counter's row for a statement, not for a WAL flush each time.
const REFRESH_PG: &str = concat!(
    "WITH hit AS (",
    counter_upsert_pg!("", "$13 AND"),
    "), added AS (\
        INSERT INTO blacklisted_tokens (jti, user_id, expires_at, grace_until, successor_jti, \
            successor_iat, successor_exp, created_at) \
        SELECT $5, $6, $7, $8, $9, $10, $11, $12 \
        WHERE NOT $13 OR EXISTS (SELECT 1 FROM hit) \
        ON CONFLICT (jti) DO NOTHING RETURNING jti\
    ), touched AS (\
        UPDATE sessions SET last_seen_at = $12 \
        WHERE id = $14 AND EXISTS (SELECT 1 FROM added) RETURNING id\
    ) \
    SELECT o.admitted, o.added, CASE WHEN o.admitted THEN '' \
        ELSE set_config('synchronous_commit', 'off', true) END AS commit_mode \
    FROM (SELECT (NOT $13 OR EXISTS (SELECT 1 FROM hit)) AS admitted, \
        EXISTS (SELECT 1 FROM added) AS added) AS o"
);

#[derive(QueryableByName)]
struct Outcome {
    #[diesel(sql_type = Bool)]
    admitted: bool,
    #[diesel(sql_type = Bool)]
    added: bool,
}

/// Counts `hit` (the refresh limit, when the database holds it), then blacklists `row` (the old
/// token, naming its successor), then moves the session `sid`'s `last_seen_at` to the row's
/// `created_at` — each only if the one before happened. A jti blacklisted already (a concurrent
/// refresh or a logout won) comes back as [`Added::Existing`] with the winner's row.
pub fn record_refresh(
    conn: &mut DbConnection,
    row: &BlacklistedToken,
    sid: Option<Id>,
    hit: Option<&Hit>,
) -> QueryResult<Refreshed> {
    let added = match conn {
        DbConnection::Postgres(pg) => {
            let unused = Hit {
                key: String::new(),
                max: 0,
                width_ms: 1,
                now_ms: 0,
            };
            let (key, window, max, expires_at) = hit.unwrap_or(&unused).bind_values();
            let outcome: Outcome = diesel::sql_query(REFRESH_PG)
                .bind::<Text, _>(key)
                .bind::<BigInt, _>(window)
                .bind::<Integer, _>(max)
                .bind::<BigInt, _>(expires_at)
                .bind::<Uuid, _>(row.jti)
                .bind::<Uuid, _>(row.user_id)
                .bind::<Timestamp, _>(row.expires_at)
                .bind::<Timestamp, _>(row.grace_until)
                .bind::<Nullable<Uuid>, _>(row.successor_jti)
                .bind::<Nullable<BigInt>, _>(row.successor_iat)
                .bind::<Nullable<BigInt>, _>(row.successor_exp)
                .bind::<Timestamp, _>(row.created_at)
                .bind::<Bool, _>(hit.is_some())
                .bind::<Nullable<Uuid>, _>(sid)
                .get_result::<Outcome>(pg)?;
            if !outcome.admitted {
                let hit = hit.unwrap_or(&unused);
                return rate_limit_counter::retry_after(conn, hit).map(Refreshed::Throttled);
            }
            if outcome.added {
                Added::New
            } else {
                Added::Existing(blacklisted_tokens::table.find(row.jti).first(conn)?)
            }
        }
        DbConnection::Sqlite(_) => {
            if let Some(hit) = hit
                && let Err(retry_after) = rate_limit_counter::attempt(conn, hit)?
            {
                return Ok(Refreshed::Throttled(retry_after));
            }
            let added = BlacklistedToken::add(conn, row)?;
            if let (Added::New, Some(sid)) = (&added, sid) {
                Session::touch(conn, sid, row.created_at)?;
            }
            added
        }
    };
    Ok(Refreshed::Blacklisted(added))
}
