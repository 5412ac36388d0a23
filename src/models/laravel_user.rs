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
    /// The user imported before with this Laravel id, brought up to date.
    Updated,
    /// Left out: another user has the email.
    EmailTaken,
}

impl LaravelUser {
    /// Inserts the row, or updates the user imported before with its Laravel id; a row whose email
    /// belongs to another user changes nothing. Call inside a transaction.
    pub fn import(&self, conn: &mut DbConnection) -> QueryResult<Imported> {
        let existing: Option<Id> = users::table
            .filter(users::legacy_id.eq(&self.legacy_id))
            .select(users::id)
            .first(conn)
            .optional()?;
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
