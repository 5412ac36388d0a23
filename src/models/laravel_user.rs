//! Users brought over from a Laravel app (`users:import`), matched by their Laravel id
//! (`users.legacy_id`), and the reads and writes that let tymon's tokens keep working through
//! the switch: the token's owner by its Laravel `sub`, and the tokens the old app logged out.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{BlacklistedToken, TokenOwner, User};
use crate::db::{DbConnection, Id};
use crate::schema::{blacklisted_tokens, laravel_blacklist, users};

/// One row of a Laravel `users` table, checked and normalised.
#[derive(Debug, Clone)]
pub struct LaravelUser {
    pub legacy_id: String,
    pub name: String,
    /// Normalised as at sign-up.
    pub email: String,
    /// The bcrypt hash, as Laravel stored it (`$2y$`): rehashed at the first login.
    pub password: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What [`LaravelUser::import`] did with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new user.
    Inserted,
    /// The user imported before with this Laravel id, brought up to date: the row changed in the
    /// Laravel app after the user last changed here.
    Updated,
    /// The user imported before, left as it is: nothing changed there since it changed here (a
    /// password changed or reset here is never put back).
    Unchanged,
    /// Left out: another user has the email.
    EmailTaken,
}

impl LaravelUser {
    /// Inserts the row, or updates the user imported before with its Laravel id when the row is
    /// newer (its `updated_at` is later than the user's here); a row whose email belongs to
    /// another user changes nothing. Call inside a transaction.
    pub fn import(&self, conn: &mut DbConnection) -> QueryResult<Imported> {
        let found: Option<(Id, NaiveDateTime)> = users::table
            .filter(users::legacy_id.eq(&self.legacy_id))
            .select((users::id, users::updated_at))
            .first(conn)
            .optional()?;
        if let Some((_, ours)) = found
            && self.updated_at <= ours
        {
            return Ok(Imported::Unchanged);
        }
        let existing = found.map(|(id, _)| id);
        let owner_of_email: Option<Id> = users::table
            .filter(users::email.eq(&self.email))
            .select(users::id)
            .first(conn)
            .optional()?;
        if owner_of_email.is_some_and(|owner| Some(owner) != existing) {
            return Ok(Imported::EmailTaken);
        }
        let values = (
            users::name.eq(&self.name),
            users::email.eq(&self.email),
            users::password.eq(&self.password),
            users::email_verified_at.eq(self.email_verified_at),
            users::updated_at.eq(self.updated_at),
        );
        match existing {
            Some(id) => {
                diesel::update(users::table.find(id))
                    .set(values)
                    .execute(conn)?;
                Ok(Imported::Updated)
            }
            None => {
                diesel::insert_into(users::table)
                    .values((
                        users::id.eq(Id::now_v7()),
                        users::legacy_id.eq(&self.legacy_id),
                        users::created_at.eq(self.created_at),
                        values,
                    ))
                    .execute(conn)?;
                Ok(Imported::Inserted)
            }
        }
    }
}

/// The user `id`'s `tokens_valid_after`, its row locked for the rest of the transaction on
/// PostgreSQL (SQLite's write transaction holds the whole database): a password reset or
/// `logout?scope=all` that writes it either committed before, and is seen, or waits until after.
/// `None` when the user is gone.
pub fn lock_logins_of(
    conn: &mut DbConnection,
    id: Id,
) -> QueryResult<Option<Option<NaiveDateTime>>> {
    let query = users::table.find(id).select(users::tokens_valid_after);
    match conn {
        DbConnection::Postgres(pg) => query.for_update().first(pg).optional(),
        DbConnection::Sqlite(sqlite) => query.first(sqlite).optional(),
    }
}

/// Marks the Laravel token `jti` (as read here) logged out until `expires_at`; one that is marked
/// already stays as it is. Whether it was new.
pub fn blacklist_laravel_token(
    conn: &mut DbConnection,
    jti: Id,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    // Looked up first: a unique violation would abort the caller's transaction on PostgreSQL.
    let marked: i64 = laravel_blacklist::table
        .find(jti)
        .count()
        .get_result(conn)?;
    if marked > 0 {
        return Ok(false);
    }
    diesel::insert_into(laravel_blacklist::table)
        .values((
            laravel_blacklist::jti.eq(jti),
            laravel_blacklist::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| true)
}

/// Deletes the Laravel app's logged-out tokens that expired before `before`; how many. Few rows
/// (one per token the old app had logged out), so one statement.
pub fn prune_blacklist(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(laravel_blacklist::table.filter(laravel_blacklist::expires_at.lt(before)))
        .execute(conn)
}

/// The owner of a Laravel token (`sub` = `legacy_id`, `jti` as read here), as
/// [`User::find_for_token`] reads a token of ours: the user, the token's blacklist row — here or
/// in the old app's (then a row that ended it at once) — and no session: one query.
pub fn find_for_laravel_token(
    conn: &mut DbConnection,
    legacy_id: &str,
    jti: Id,
) -> QueryResult<Option<TokenOwner>> {
    let row: Option<(User, Option<BlacklistedToken>, Option<NaiveDateTime>)> = users::table
        .left_join(blacklisted_tokens::table.on(blacklisted_tokens::jti.eq(jti)))
        .left_join(laravel_blacklist::table.on(laravel_blacklist::jti.eq(jti)))
        .filter(users::legacy_id.eq(legacy_id))
        .select((
            users::all_columns,
            blacklisted_tokens::all_columns.nullable(),
            laravel_blacklist::expires_at.nullable(),
        ))
        .get_result(conn)
        .optional()?;
    Ok(row.map(|(user, entry, logged_out_until)| {
        let entry = entry.or_else(|| {
            logged_out_until.map(|expires_at| BlacklistedToken {
                jti,
                user_id: user.id,
                expires_at,
                grace_until: NaiveDateTime::MIN,
                successor_jti: None,
                successor_iat: None,
                successor_exp: None,
                created_at: NaiveDateTime::MIN,
            })
        });
        (user, entry, None)
    }))
}
