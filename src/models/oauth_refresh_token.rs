//! The `oauth_refresh_tokens` table: one row per refresh token, by the SHA-256 of its value.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Id};
use crate::models::{Ended, Session, User};
use crate::schema::{oauth_refresh_tokens, sessions, users};

diesel::alias!(oauth_refresh_tokens as stale_tokens: StaleTokens);

/// What presenting a refresh token did ([`OAuthRefreshToken::rotate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// This request rotated it: the child is new.
    Rotated,
    /// It was rotated moments ago (within the reuse interval): the same child again.
    Reused,
    /// It had been rotated before: a replay, so the whole family is revoked.
    Replayed,
}

/// A refresh token's row (never its value).
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = oauth_refresh_tokens)]
// NULL, not SQL's DEFAULT keyword, which SQLite lacks in multi-backend inserts.
#[diesel(treat_none_as_default_value = false)]
pub struct OAuthRefreshToken {
    pub token_hash: String,
    pub session_id: Id,
    pub parent_hash: Option<String>,
    pub client_id: Id,
    pub scopes: String,
    pub created_at: NaiveDateTime,
    /// When it was rotated: exchanged for its child.
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl OAuthRefreshToken {
    /// What the table keeps of a token's value: its SHA-256, hex.
    pub fn hash_of(token: &str) -> String {
        crate::crypto::sha256_hex(token.as_bytes())
    }

    /// The row of `token`, the first refresh token of `session`'s family (of `client_id`), made
    /// `now`.
    pub fn first_of(session: &Session, client_id: Id, token: &str, now: NaiveDateTime) -> Self {
        Self {
            token_hash: Self::hash_of(token),
            session_id: session.id,
            parent_hash: None,
            client_id,
            scopes: session.scopes.clone(),
            created_at: now,
            used_at: None,
            revoked_at: None,
        }
    }

    /// The row of `child`, which rotating `parent` yields, made `now`.
    pub fn child_of(parent: &OAuthRefreshToken, child: &str, now: NaiveDateTime) -> Self {
        Self {
            token_hash: Self::hash_of(child),
            parent_hash: Some(parent.token_hash.clone()),
            created_at: now,
            used_at: None,
            revoked_at: None,
            ..parent.clone()
        }
    }

    /// The token, its session and the session's user, in one query.
    pub fn find_with_session(
        conn: &mut DbConnection,
        token_hash: &str,
    ) -> QueryResult<Option<(OAuthRefreshToken, Session, User)>> {
        oauth_refresh_tokens::table
            .inner_join(sessions::table.inner_join(users::table))
            .filter(oauth_refresh_tokens::token_hash.eq(token_hash))
            .select((
                oauth_refresh_tokens::all_columns,
                sessions::all_columns,
                users::all_columns,
            ))
            .first(conn)
            .optional()
    }

    /// The token's row.
    pub fn find(
        conn: &mut DbConnection,
        token_hash: &str,
    ) -> QueryResult<Option<OAuthRefreshToken>> {
        oauth_refresh_tokens::table
            .find(token_hash)
            .first(conn)
            .optional()
    }

    /// Inserts the row.
    pub fn create(conn: &mut DbConnection, token: &OAuthRefreshToken) -> QueryResult<()> {
        diesel::insert_into(oauth_refresh_tokens::table)
            .values(token)
            .execute(conn)
            .map(drop)
    }

    /// Rotation with reuse detection, in one write transaction: the parent (by `parent_hash`) is
    /// spent and `child` inserted, unless it was spent already: then within `reuse_interval` the
    /// same child is answered again (if still unused), and otherwise the whole family (the
    /// session) is revoked. The session's row is locked first, so rotations of one family queue
    /// and a replay's revocation cannot deadlock with the rotation it lost to.
    pub fn rotate(
        conn: &mut DbConnection,
        parent_hash: &str,
        child: &OAuthRefreshToken,
        reuse_interval: chrono::Duration,
        now: NaiveDateTime,
    ) -> QueryResult<Rotation> {
        conn.write_transaction(|conn| {
            Session::lock(conn, child.session_id, now)?;
            if Self::mark_used(conn, parent_hash, now)? {
                Self::create(conn, child)?;
                return Ok(Rotation::Rotated);
            }
            let parent = Self::find(conn, parent_hash)?;
            let existing_child = Self::find(conn, &child.token_hash)?;
            let just_rotated = parent
                .and_then(|p| p.used_at)
                .is_some_and(|used| used + reuse_interval > now);
            let child_unused =
                existing_child.is_some_and(|c| c.used_at.is_none() && c.revoked_at.is_none());
            if just_rotated && child_unused && !reuse_interval.is_zero() {
                return Ok(Rotation::Reused);
            }
            Session::revoke(conn, child.session_id, Ended::RefreshReuse, now)?;
            Ok(Rotation::Replayed)
        })
    }

    /// Marks the token rotated, if nobody did yet: of N concurrent calls exactly one gets `true`.
    pub fn mark_used(
        conn: &mut DbConnection,
        token_hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            oauth_refresh_tokens::table
                .find(token_hash)
                .filter(oauth_refresh_tokens::used_at.is_null())
                .filter(oauth_refresh_tokens::revoked_at.is_null()),
        )
        .set(oauth_refresh_tokens::used_at.eq(now))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Deletes up to `batch` tokens created before `idle_cutoff` (unused that long, or long since rotated).
    pub fn prune_batch(
        conn: &mut DbConnection,
        idle_cutoff: NaiveDateTime,
        batch: i64,
    ) -> QueryResult<usize> {
        let stale = stale_tokens
            .select(stale_tokens.field(oauth_refresh_tokens::token_hash))
            .filter(
                stale_tokens
                    .field(oauth_refresh_tokens::created_at)
                    .lt(idle_cutoff),
            )
            .limit(batch);
        let deleted = diesel::delete(
            oauth_refresh_tokens::table.filter(oauth_refresh_tokens::token_hash.eq_any(stale)),
        )
        .execute(conn)?;
        Ok(deleted)
    }
}
