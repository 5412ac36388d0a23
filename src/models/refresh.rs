//! A refresh in one trip (tymon/jwt-auth's `refresh()` with the blacklist on): the guard's read of
//! the token's user, blacklist row and session, the shared rate limit's hit, the old token
//! blacklisted with its successor, the session's `last_seen_at`. One statement on PostgreSQL and one
//! call on the pool on SQLite, so a refresh costs one round trip and one commit whichever store
//! counts its limit.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::rate_limit_counter::{self, Hit, HitParams, counter_upsert_pg};
use super::{Added, BlacklistedToken, Session, TokenOwner, User};
use crate::db::sql_types::Uuid;
use crate::db::{DbConnection, Id};
use crate::schema::{blacklisted_tokens, sessions, users};

/// What [`record_refresh`] read and did.
#[derive(Debug)]
pub struct RefreshTrip {
    /// The token's user, its blacklist row and its session as they were before the refresh: what
    /// the guard judges (`None`: no such user).
    pub owner: Option<TokenOwner>,
    /// The rate limit's verdict on the hit (`Err(retry_after)`: refused, nothing was written).
    pub admitted: Result<(), Duration>,
    /// The blacklisting, when the trip wrote it (see [`Gate`]): by this call, or by a concurrent
    /// one that won.
    pub blacklisted: Option<Added>,
}

/// When [`record_refresh`] may blacklist the token without asking its caller first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Only when the token's session is active, its user enabled and the token not blacklisted:
    /// what the guard lets refresh, short of its own checks. A token without a session is left to the caller.
    ActiveSession,
    /// The caller judged the token already (a token from before sessions, after its first trip).
    Judged,
}

impl Gate {
    /// Whether a refresh of `sid` whose owner is `owner` may be written at `now`. PostgreSQL's
    /// statement holds the same rule in SQL (`REFRESH_PG`); both stay within what the guard lets
    /// through, so the trip never writes for a token the caller then refuses.
    fn opens(self, owner: &TokenOwner, now: NaiveDateTime) -> bool {
        match self {
            Self::Judged => true,
            Self::ActiveSession => {
                !owner.0.is_disabled()
                    && owner.1.is_none()
                    && owner.2.as_ref().is_some_and(|s| s.is_active(now))
            }
        }
    }
}

/// The refresh on PostgreSQL, after the row `p` of its values and before its final columns. Each
/// write runs only if the one before it happened; data-modifying CTEs run once each, whether or not
/// the final SELECT reads them, and the final SELECT sees the rows as they were before the
/// statement. A refused hit wrote nothing but a row lock, so its statement commits asynchronously:
/// a client hammering past its limit then holds the counter's row for a statement, not for a WAL
/// flush each time. `added`'s gate is [`Gate::opens`] in SQL (`Session::is_active`).
const REFRESH_PG: &str = concat!(
    "), hit AS (",
    counter_upsert_pg!(""),
    "), added AS (\
        INSERT INTO blacklisted_tokens (jti, user_id, expires_at, grace_until, successor_jti, \
            successor_iat, successor_exp, created_at) \
        SELECT p.jti, p.user_id, p.expires_at, p.grace_until, p.successor_jti, p.successor_iat, \
            p.successor_exp, p.created_at FROM p \
        WHERE (NOT p.counted OR EXISTS (SELECT 1 FROM hit)) \
            AND EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id AND u.disabled_at IS NULL \
                AND (p.judged OR EXISTS ( \
                SELECT 1 FROM sessions s WHERE s.id = p.sid AND s.revoked_at IS NULL \
                AND s.expires_at > p.created_at))) \
        ON CONFLICT (jti) DO NOTHING RETURNING jti\
    ), touched AS (\
        UPDATE sessions SET last_seen_at = p.created_at FROM p \
        WHERE sessions.id = p.sid AND EXISTS (SELECT 1 FROM added) RETURNING sessions.id\
    ) SELECT "
);

/// The final SELECT's `FROM`: the owner as it was, and what the statement did.
const REFRESH_PG_FROM: &str = ", o.admitted, o.added, \
    CASE WHEN o.admitted THEN '' ELSE set_config('synchronous_commit', 'off', true) END \
    FROM p CROSS JOIN (SELECT (NOT p.counted OR EXISTS (SELECT 1 FROM hit)) AS admitted, \
        EXISTS (SELECT 1 FROM added) AS added FROM p) AS o \
    LEFT JOIN users ON users.id = p.user_id \
    LEFT JOIN blacklisted_tokens ON blacklisted_tokens.jti = p.jti \
    LEFT JOIN sessions ON sessions.id = p.sid";

/// The refresh statement on PostgreSQL, as a query type of its own so that diesel caches its
/// prepared statement (see [`HitParams`]).
struct RefreshPg<'a> {
    hit: HitParams,
    row: &'a BlacklistedToken,
    sid: Option<Id>,
    judged: bool,
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
        out.push_sql("::uuid AS sid, ");
        out.push_bind_param::<Bool, _>(&self.judged)?;
        out.push_sql("::bool AS judged");
        out.push_sql(REFRESH_PG);
        // The columns as diesel's schema lists them, so that the rows load as the guard's read's.
        users::all_columns.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        blacklisted_tokens::all_columns.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        sessions::all_columns.walk_ast(out.reborrow())?;
        out.push_sql(REFRESH_PG_FROM);
        Ok(())
    }
}

impl QueryId for RefreshPg<'_> {
    type QueryId = RefreshPg<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for RefreshPg<'_> {
    type SqlType = (
        Nullable<users::SqlType>,
        Nullable<blacklisted_tokens::SqlType>,
        Nullable<sessions::SqlType>,
        Bool,
        Bool,
        Text,
    );
}

impl RunQueryDsl<PgConnection> for RefreshPg<'_> {}

type RefreshPgRow = (
    Option<User>,
    Option<BlacklistedToken>,
    Option<Session>,
    bool,
    bool,
    String,
);

/// Reads the owner of the token `row.jti` (user `row.user_id`, session `sid`) as the guard does,
/// counts `hit` (the refresh limit, when the database holds it), then — if `gate` opens — blacklists
/// `row` (the old token, naming its successor) and moves the session's `last_seen_at` to the row's
/// `created_at`, each only if the one before happened. A jti blacklisted meanwhile (a concurrent
/// refresh or a logout won) comes back as [`Added::Existing`] with the winner's row.
pub fn record_refresh(
    conn: &mut DbConnection,
    row: &BlacklistedToken,
    sid: Option<Id>,
    hit: Option<&Hit>,
    gate: Gate,
) -> QueryResult<RefreshTrip> {
    // A refused hit commits asynchronously: never a caller's transaction.
    rate_limit_counter::outside_a_transaction(conn)?;
    match conn {
        DbConnection::Postgres(pg) => {
            let (user, entry, session, admitted, added, commit_mode) = RefreshPg {
                hit: Hit::params(hit),
                row,
                sid,
                judged: gate == Gate::Judged,
            }
            .get_result::<RefreshPgRow>(pg)?;
            debug_assert_eq!(
                admitted,
                commit_mode.is_empty(),
                "asynchronous only if refused"
            );
            let owner = user.map(|user| (user, entry, session));
            let admitted = match (admitted, hit) {
                (false, Some(hit)) => Err(rate_limit_counter::retry_after(conn, hit)?),
                _ => Ok(()),
            };
            let opened = admitted.is_ok()
                && owner
                    .as_ref()
                    .is_some_and(|o| gate.opens(o, row.created_at));
            let blacklisted = match (opened, added) {
                (false, _) => None,
                (true, true) => Some(Added::New),
                (true, false) => Some(Added::Existing(
                    blacklisted_tokens::table.find(row.jti).first(conn)?,
                )),
            };
            Ok(RefreshTrip {
                owner,
                admitted,
                blacklisted,
            })
        }
        DbConnection::Sqlite(_) => {
            let owner = User::find_for_token(conn, row.user_id, row.jti, sid)?;
            let admitted = match hit {
                Some(hit) => rate_limit_counter::attempt(conn, hit)?.map(drop),
                None => Ok(()),
            };
            let opened = admitted.is_ok()
                && owner
                    .as_ref()
                    .is_some_and(|o| gate.opens(o, row.created_at));
            let blacklisted = if opened {
                // One commit for both writes.
                Some(conn.write_transaction(|conn| {
                    let added = BlacklistedToken::add(conn, row)?;
                    if let (Added::New, Some(sid)) = (&added, sid) {
                        Session::touch(conn, sid, row.created_at)?;
                    }
                    Ok(added)
                })?)
            } else {
                None
            };
            Ok(RefreshTrip {
                owner,
                admitted,
                blacklisted,
            })
        }
    }
}
