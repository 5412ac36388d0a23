//! Laravel's `password_reset_tokens` (the password broker's token repository): one live token per
//! email, stored as the SHA-256 of the token the mail carries, so a database leak resets nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::password_reset_tokens;

/// The reset tokens of the password broker.
pub struct PasswordReset;

impl PasswordReset {
    /// Makes `token_hash` the one live token of `email` (an earlier one stops working): one
    /// upsert, so two requests at once for one address cannot collide on its key.
    pub fn replace(
        conn: &mut DbConnection,
        email: &str,
        token_hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        let upsert = diesel::insert_into(password_reset_tokens::table)
            .values((
                password_reset_tokens::email.eq(email),
                password_reset_tokens::token.eq(token_hash),
                password_reset_tokens::created_at.eq(now),
            ))
            .on_conflict(password_reset_tokens::email)
            .do_update()
            .set((
                password_reset_tokens::token.eq(token_hash),
                password_reset_tokens::created_at.eq(now),
            ));
        match conn {
            DbConnection::Postgres(pg) => upsert.execute(pg),
            DbConnection::Sqlite(sqlite) => upsert.execute(sqlite),
        }
        .map(drop)
    }

    /// Whether `token_hash` is the live token of `email`, made after `not_before` (a look before
    /// the bcrypt work; [`Self::consume`] decides).
    pub fn is_live(
        conn: &mut DbConnection,
        email: &str,
        token_hash: &str,
        not_before: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            password_reset_tokens::table
                .filter(password_reset_tokens::email.eq(email))
                .filter(password_reset_tokens::token.eq(token_hash))
                .filter(password_reset_tokens::created_at.gt(not_before)),
        ))
        .get_result(conn)
    }

    /// Uses up the token of `email` if it is `token_hash` and was made after `not_before`: true
    /// when it was (the row is gone, so it never works twice, even for two requests at once).
    pub fn consume(
        conn: &mut DbConnection,
        email: &str,
        token_hash: &str,
        not_before: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::delete(
            password_reset_tokens::table
                .filter(password_reset_tokens::email.eq(email))
                .filter(password_reset_tokens::token.eq(token_hash))
                .filter(password_reset_tokens::created_at.gt(not_before)),
        )
        .execute(conn)
        .map(|deleted| deleted == 1)
    }

    /// Deletes the pending token of `email`, if any: a link mailed before a password change must
    /// not work after it.
    pub fn forget(conn: &mut DbConnection, email: &str) -> QueryResult<()> {
        diesel::delete(password_reset_tokens::table.filter(password_reset_tokens::email.eq(email)))
            .execute(conn)
            .map(drop)
    }

    /// Deletes the tokens made before `not_before` (they can never be used): the hourly prune.
    pub fn prune(conn: &mut DbConnection, not_before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(
            password_reset_tokens::table.filter(password_reset_tokens::created_at.le(not_before)),
        )
        .execute(conn)
    }
}
