//! A refresh's writes (tymon/jwt-auth's `refresh()` with the blacklist on): the shared rate limit's
//! hit, the old token blacklisted with its successor, the session's `last_seen_at` — one statement
//! on PostgreSQL, so a refresh costs one round trip and one commit whichever store counts its limit.

use std::time::Duration;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::rate_limit_counter::{self, Hit, HitParams, counter_upsert_pg};
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

/// The refresh on PostgreSQL, after the row `p` of its values. Each part runs only if the one
/// before it happened; data-modifying CTEs run once each, whether or not the final SELECT reads
/// them. A refused hit wrote nothing but a row lock, so its statement commits asynchronously: a
/// client hammering past its limit then holds the counter's row for a statement, not for a WAL
/// flush each time.
const REFRESH_PG: &str = concat!(
    "), hit AS (",
    counter_upsert_pg!(""),
    "), added AS (\
        INSERT INTO blacklisted_tokens (jti, user_id, expires_at, grace_until, successor_jti, \
            successor_iat, successor_exp, created_at) \
        SELECT p.jti, p.user_id, p.expires_at, p.grace_until, p.successor_jti, p.successor_iat, \
            p.successor_exp, p.created_at FROM p \
        WHERE NOT p.counted OR EXISTS (SELECT 1 FROM hit) \
        ON CONFLICT (jti) DO NOTHING RETURNING jti\
    ), touched AS (\
        UPDATE sessions SET last_seen_at = p.created_at FROM p \
        WHERE sessions.id = p.sid AND EXISTS (SELECT 1 FROM added) RETURNING sessions.id\
    ) \
    SELECT o.admitted, o.added, CASE WHEN o.admitted THEN '' \
        ELSE set_config('synchronous_commit', 'off', true) END AS commit_mode \
    FROM (SELECT (NOT p.counted OR EXISTS (SELECT 1 FROM hit)) AS admitted, \
        EXISTS (SELECT 1 FROM added) AS added FROM p) AS o"
);

/// The refresh statement on PostgreSQL, as a query type of its own so that diesel caches its
/// prepared statement (see [`HitParams`]).
struct RefreshPg<'a> {
    hit: HitParams,
    row: &'a BlacklistedToken,
    sid: Option<Id>,
}

impl QueryFragment<Pg> for RefreshPg<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let row = self.row;
        out.push_sql("WITH p AS (SELECT ");
        self.hit.push(&mut out)?;
        out.push_sql(", ");
        out.push_bind_param::<Uuid, _>(&row.jti)?;
        out.push_sql("::uuid AS jti, ");
        out.push_bind_param::<Uuid, _>(&row.user_id)?;
        out.push_sql("::uuid AS user_id, ");
        out.push_bind_param::<Timestamp, _>(&row.expires_at)?;
        out.push_sql("::timestamp AS expires_at, ");
        out.push_bind_param::<Timestamp, _>(&row.grace_until)?;
        out.push_sql("::timestamp AS grace_until, ");
        out.push_bind_param::<Nullable<Uuid>, _>(&row.successor_jti)?;
        out.push_sql("::uuid AS successor_jti, ");
        out.push_bind_param::<Nullable<BigInt>, _>(&row.successor_iat)?;
        out.push_sql("::bigint AS successor_iat, ");
        out.push_bind_param::<Nullable<BigInt>, _>(&row.successor_exp)?;
        out.push_sql("::bigint AS successor_exp, ");
        out.push_bind_param::<Timestamp, _>(&row.created_at)?;
        out.push_sql("::timestamp AS created_at, ");
        out.push_bind_param::<Nullable<Uuid>, _>(&self.sid)?;
        out.push_sql("::uuid AS sid");
        out.push_sql(REFRESH_PG);
        Ok(())
    }
}

impl QueryId for RefreshPg<'_> {
    type QueryId = RefreshPg<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for RefreshPg<'_> {
    type SqlType = (Bool, Bool, Text);
}

impl RunQueryDsl<PgConnection> for RefreshPg<'_> {}

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
    // A refused hit commits asynchronously: never a caller's transaction.
    rate_limit_counter::outside_a_transaction(conn)?;
    let added = match conn {
        DbConnection::Postgres(pg) => {
            let (admitted, added, commit_mode) = RefreshPg {
                hit: Hit::params(hit),
                row,
                sid,
            }
            .get_result::<(bool, bool, String)>(pg)?;
            debug_assert_eq!(
                admitted,
                commit_mode.is_empty(),
                "asynchronous only if refused"
            );
            if let (false, Some(hit)) = (admitted, hit) {
                return rate_limit_counter::retry_after(conn, hit).map(Refreshed::Throttled);
            }
            if added {
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
            // One commit for both writes.
            conn.write_transaction(|conn| {
                let added = BlacklistedToken::add(conn, row)?;
                if let (Added::New, Some(sid)) = (&added, sid) {
                    Session::touch(conn, sid, row.created_at)?;
                }
                Ok(added)
            })?
        }
    };
    Ok(Refreshed::Blacklisted(added))
}
