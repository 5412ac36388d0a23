//! The `blacklisted_tokens` table: tymon/jwt-auth's blacklist, in the database so that every
//! instance sees it. The jti primary key decides races between concurrent refreshes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Id, is_unique_violation};
use crate::schema::blacklisted_tokens;

diesel::alias!(blacklisted_tokens as expired_tokens: ExpiredTokens);

/// A blacklisted token: refreshed (with its successor) or logged out. The row as read and as written.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = blacklisted_tokens)]
// NULL, not SQL's DEFAULT keyword, which SQLite lacks in multi-backend inserts.
#[diesel(treat_none_as_default_value = false)]
pub struct BlacklistedToken {
    pub jti: Id,
    pub user_id: Id,
    pub expires_at: NaiveDateTime,
    pub grace_until: NaiveDateTime,
    pub successor_jti: Option<Id>,
    pub successor_iat: Option<i64>,
    pub successor_exp: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// How many successors a logout with a token from before sessions follows at most.
pub const MAX_LEGACY_CHAIN: usize = 32;

/// The outcome of [`BlacklistedToken::add`].
#[derive(Debug)]
pub enum Added {
    /// This call blacklisted the token.
    New,
    /// The token was blacklisted already (a concurrent refresh or logout won): its row.
    Existing(BlacklistedToken),
}

impl BlacklistedToken {
    /// The row of a token revoked `now` (logout, RFC 7009 revocation): no grace, no successor.
    pub fn revoked(jti: Id, user_id: Id, expires_at: NaiveDateTime, now: NaiveDateTime) -> Self {
        Self {
            jti,
            user_id,
            expires_at,
            grace_until: now,
            successor_jti: None,
            successor_iat: None,
            successor_exp: None,
            created_at: now,
        }
    }

    /// Whether the token still works because of the grace period.
    pub fn in_grace(&self, now: NaiveDateTime) -> bool {
        self.grace_until > now
    }

    /// The successor's (jti, iat, exp), when a refresh recorded one.
    pub fn successor(&self) -> Option<(Id, i64, i64)> {
        Some((
            self.successor_jti?,
            self.successor_iat?,
            self.successor_exp?,
        ))
    }

    /// Inserts `row`; if its jti is already there, answers with the row that won instead.
    /// Outside a transaction (one statement); inside one, see [`BlacklistedToken::revoke`].
    pub fn add(conn: &mut DbConnection, row: &BlacklistedToken) -> QueryResult<Added> {
        match diesel::insert_into(blacklisted_tokens::table)
            .values(row)
            .execute(conn)
        {
            Ok(_) => Ok(Added::New),
            Err(error) if is_unique_violation(&error) => blacklisted_tokens::table
                .find(row.jti)
                .first(conn)
                .map(Added::Existing),
            Err(error) => Err(error),
        }
    }

    /// Logout: blacklists `row.jti` with no grace (a row it already has loses its grace), and ends
    /// the grace of whichever token it succeeded, so that one is never handed out again. A token of
    /// a session needs no more: ending the session ends its successors. A token from before
    /// sessions (`follow_successors`) blacklists what it was refreshed into too, as it always did:
    /// at most [`MAX_LEGACY_CHAIN`] links. Call inside a write transaction.
    pub fn revoke(
        conn: &mut DbConnection,
        mut row: BlacklistedToken,
        follow_successors: bool,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(
            blacklisted_tokens::table
                .filter(blacklisted_tokens::successor_jti.eq(row.jti))
                .filter(blacklisted_tokens::grace_until.gt(now)),
        )
        .set(blacklisted_tokens::grace_until.eq(now))
        .execute(conn)?;
        for _ in 0..MAX_LEGACY_CHAIN {
            // A savepoint, so that Postgres's transaction survives the unique violation.
            let inserted = conn.transaction(|conn| {
                diesel::insert_into(blacklisted_tokens::table)
                    .values(&row)
                    .execute(conn)
            });
            match inserted {
                Ok(_) => return Ok(()),
                Err(error) if is_unique_violation(&error) => {}
                Err(error) => return Err(error),
            }
            let existing: BlacklistedToken =
                diesel::update(blacklisted_tokens::table.find(row.jti))
                    .set(blacklisted_tokens::grace_until.eq(now))
                    .returning(blacklisted_tokens::all_columns)
                    .get_result(conn)?;
            let Some((jti, _, exp)) = existing.successor().filter(|_| follow_successors) else {
                return Ok(());
            };
            let successor_exp = chrono::DateTime::from_timestamp(exp, 0).map(|t| t.naive_utc());
            row = BlacklistedToken {
                jti,
                expires_at: row.expires_at.max(successor_exp.unwrap_or(row.expires_at)),
                successor_jti: None,
                successor_iat: None,
                successor_exp: None,
                ..row
            };
        }
        Ok(())
    }

    /// Deletes up to `batch` rows whose `expires_at` is before `expired_before` and that were
    /// written before `written_before`; returns how many went. The second condition keeps a row
    /// while its token could be refreshed under today's JWT_REFRESH_TTL: the token's login
    /// (orig_iat) is never later than the row.
    pub fn prune_batch(
        conn: &mut DbConnection,
        expired_before: NaiveDateTime,
        written_before: NaiveDateTime,
        batch: i64,
    ) -> QueryResult<usize> {
        let expired = expired_tokens
            .select(expired_tokens.field(blacklisted_tokens::jti))
            .filter(
                expired_tokens
                    .field(blacklisted_tokens::expires_at)
                    .lt(expired_before),
            )
            .filter(
                expired_tokens
                    .field(blacklisted_tokens::created_at)
                    .lt(written_before),
            )
            .limit(batch);
        let deleted = diesel::delete(
            blacklisted_tokens::table.filter(blacklisted_tokens::jti.eq_any(expired)),
        )
        .execute(conn)?;
        Ok(deleted)
    }
}
