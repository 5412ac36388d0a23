//! The `oauth_sessions` table: one row per OAuth login, the family of its refresh tokens and the
//! `sid` of its access tokens. Revoking it ends both.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Id};
use crate::schema::{oauth_refresh_tokens, oauth_sessions};

diesel::alias!(oauth_sessions as expired_sessions: ExpiredSessions);

/// A login through `POST /oauth/token`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = oauth_sessions)]
pub struct OAuthSession {
    pub id: Id,
    pub user_id: Id,
    pub client_id: Id,
    /// The scopes granted at login (space-separated); refreshes may only narrow them.
    pub scopes: String,
    pub created_at: NaiveDateTime,
    /// The absolute end of the family (OAUTH_REFRESH_TTL after the login).
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl OAuthSession {
    /// Neither revoked nor past its absolute lifetime.
    pub fn is_active(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }

    /// Inserts the session.
    pub fn create(conn: &mut DbConnection, session: &OAuthSession) -> QueryResult<()> {
        diesel::insert_into(oauth_sessions::table)
            .values(session)
            .execute(conn)
            .map(drop)
    }

    /// Takes the session's row lock for the rest of the transaction (a no-op UPDATE: portable, where
    /// `SELECT … FOR UPDATE` is not). Rotations of one family then queue behind each other and every
    /// transaction locks session before tokens, so a replay that revokes the family cannot deadlock
    /// with the rotation it lost to.
    pub fn lock(conn: &mut DbConnection, id: Id) -> QueryResult<()> {
        diesel::update(oauth_sessions::table.find(id))
            .set(oauth_sessions::scopes.eq(oauth_sessions::scopes))
            .execute(conn)
            .map(drop)
    }

    /// Revokes the session and every refresh token of its family.
    pub fn revoke(conn: &mut DbConnection, id: Id, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(
            oauth_sessions::table
                .find(id)
                .filter(oauth_sessions::revoked_at.is_null()),
        )
        .set(oauth_sessions::revoked_at.eq(now))
        .execute(conn)?;
        diesel::update(
            oauth_refresh_tokens::table
                .filter(oauth_refresh_tokens::session_id.eq(id))
                .filter(oauth_refresh_tokens::revoked_at.is_null()),
        )
        .set(oauth_refresh_tokens::revoked_at.eq(now))
        .execute(conn)
        .map(drop)
    }

    /// Revokes every session of a user and their refresh tokens (`logout?scope=all`): two
    /// statements, however many sessions there are.
    pub fn revoke_all_of_user(
        conn: &mut DbConnection,
        user_id: Id,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        let sessions = oauth_sessions::table
            .select(oauth_sessions::id)
            .filter(oauth_sessions::user_id.eq(user_id));
        diesel::update(
            oauth_refresh_tokens::table
                .filter(oauth_refresh_tokens::session_id.eq_any(sessions))
                .filter(oauth_refresh_tokens::revoked_at.is_null()),
        )
        .set(oauth_refresh_tokens::revoked_at.eq(now))
        .execute(conn)?;
        diesel::update(
            oauth_sessions::table
                .filter(oauth_sessions::user_id.eq(user_id))
                .filter(oauth_sessions::revoked_at.is_null()),
        )
        .set(oauth_sessions::revoked_at.eq(now))
        .execute(conn)
        .map(drop)
    }

    /// Deletes up to `batch` sessions past their absolute lifetime (their refresh tokens go with them).
    pub fn prune_batch(
        conn: &mut DbConnection,
        now: NaiveDateTime,
        batch: i64,
    ) -> QueryResult<usize> {
        let expired = expired_sessions
            .select(expired_sessions.field(oauth_sessions::id))
            .filter(expired_sessions.field(oauth_sessions::expires_at).lt(now))
            .limit(batch);
        let deleted =
            diesel::delete(oauth_sessions::table.filter(oauth_sessions::id.eq_any(expired)))
                .execute(conn)?;
        Ok(deleted)
    }
}
