//! Two-factor sign-in's rows (Laravel Fortify's `two_factor_*` columns of `users`, with the
//! recovery codes and the login challenge in tables of their own): each write is one conditional
//! statement, so of two requests with one code or one recovery code exactly one wins.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Id};
use crate::models::User;
use crate::schema::{two_factor_challenges, two_factor_recovery_codes, users};

diesel::alias!(two_factor_challenges as expired_challenges: ExpiredChallenges);

/// A recovery code, by its keyed hash.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = two_factor_recovery_codes)]
#[diesel(treat_none_as_default_value = false)]
pub struct RecoveryCode {
    pub id: Id,
    pub user_id: Id,
    pub code_hash: String,
    pub created_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// A right password waiting for its second factor: the token's hash, bound to the user and the
/// client's network, with the wrong codes it has taken.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = two_factor_challenges)]
#[diesel(treat_none_as_default_value = false)]
pub struct TwoFactorChallenge {
    pub id: Id,
    pub user_id: Id,
    pub token_hash: String,
    pub network: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

impl User {
    /// Whether two-factor is on: a secret confirmed with a code.
    pub fn has_two_factor(&self) -> bool {
        self.two_factor_confirmed_at.is_some() && self.two_factor_secret.is_some()
    }

    /// Stores a new pending secret, replacing a pending one; false when two-factor is on already
    /// (a confirmed secret is never replaced this way).
    pub fn set_pending_two_factor(
        conn: &mut DbConnection,
        id: Id,
        sealed_secret: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::two_factor_confirmed_at.is_null()),
        )
        .set((
            users::two_factor_secret.eq(sealed_secret),
            users::two_factor_last_step.eq(None::<i64>),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|updated| updated == 1)
    }

    /// Turns two-factor on with the pending secret `sealed_secret` (the one the code was checked
    /// against), recording `step` as used; false when that secret is no longer the pending one.
    pub fn confirm_two_factor(
        conn: &mut DbConnection,
        id: Id,
        sealed_secret: &str,
        step: i64,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::two_factor_confirmed_at.is_null())
                .filter(users::two_factor_secret.eq(sealed_secret)),
        )
        .set((
            users::two_factor_confirmed_at.eq(now),
            users::two_factor_last_step.eq(step),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|updated| updated == 1)
    }

    /// Accepts a code of time step `step`, checked against the secret `sealed_secret`, once: true
    /// when this call moved the last used step up to it; false when a code of that step or a
    /// later one was accepted already, or two-factor is off or has another secret by now.
    pub fn use_code_step(
        conn: &mut DbConnection,
        id: Id,
        sealed_secret: &str,
        step: i64,
    ) -> QueryResult<bool> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::two_factor_confirmed_at.is_not_null())
                .filter(users::two_factor_secret.eq(sealed_secret))
                .filter(
                    users::two_factor_last_step
                        .is_null()
                        .or(users::two_factor_last_step.lt(step)),
                ),
        )
        .set(users::two_factor_last_step.eq(step))
        .execute(conn)
        .map(|updated| updated == 1)
    }

    /// Turns two-factor off: the secret and every recovery code are deleted.
    pub fn disable_two_factor(
        conn: &mut DbConnection,
        id: Id,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((
                users::two_factor_secret.eq(None::<String>),
                users::two_factor_confirmed_at.eq(None::<NaiveDateTime>),
                users::two_factor_last_step.eq(None::<i64>),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        RecoveryCode::delete_of_user(conn, id)
    }
}

impl RecoveryCode {
    /// Replaces every recovery code of the user with `hashes`: the old ones die.
    pub fn replace_all(
        conn: &mut DbConnection,
        user_id: Id,
        hashes: &[String],
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        Self::delete_of_user(conn, user_id)?;
        // A row per statement: multi-backend diesel has no batch insert.
        for hash in hashes {
            let row = RecoveryCode {
                id: Id::now_v7(),
                user_id,
                code_hash: hash.clone(),
                created_at: now,
                used_at: None,
            };
            diesel::insert_into(two_factor_recovery_codes::table)
                .values(&row)
                .execute(conn)?;
        }
        Ok(())
    }

    /// The user's codes not used yet.
    pub fn unused_of_user(conn: &mut DbConnection, user_id: Id) -> QueryResult<Vec<RecoveryCode>> {
        two_factor_recovery_codes::table
            .filter(two_factor_recovery_codes::user_id.eq(user_id))
            .filter(two_factor_recovery_codes::used_at.is_null())
            .load(conn)
    }

    /// Uses the code `id` up: true when this call did (false when it was used already).
    pub fn use_up(conn: &mut DbConnection, id: Id, now: NaiveDateTime) -> QueryResult<bool> {
        diesel::update(
            two_factor_recovery_codes::table
                .find(id)
                .filter(two_factor_recovery_codes::used_at.is_null()),
        )
        .set(two_factor_recovery_codes::used_at.eq(now))
        .execute(conn)
        .map(|updated| updated == 1)
    }

    fn delete_of_user(conn: &mut DbConnection, user_id: Id) -> QueryResult<()> {
        diesel::delete(
            two_factor_recovery_codes::table.filter(two_factor_recovery_codes::user_id.eq(user_id)),
        )
        .execute(conn)
        .map(drop)
    }
}

/// Most wrong codes one challenge token takes; the next attempt is refused.
pub const MAX_CHALLENGE_ATTEMPTS: i32 = 5;

impl TwoFactorChallenge {
    /// Inserts the challenge.
    pub fn create(conn: &mut DbConnection, challenge: &TwoFactorChallenge) -> QueryResult<()> {
        diesel::insert_into(two_factor_challenges::table)
            .values(challenge)
            .execute(conn)
            .map(drop)
    }

    /// The challenge of `token_hash` with its user, whatever its state.
    pub fn find_with_user(
        conn: &mut DbConnection,
        token_hash: &str,
    ) -> QueryResult<Option<(TwoFactorChallenge, User)>> {
        two_factor_challenges::table
            .inner_join(users::table)
            .filter(two_factor_challenges::token_hash.eq(token_hash))
            .select((two_factor_challenges::all_columns, users::all_columns))
            .first(conn)
            .optional()
    }

    /// Takes one attempt of the challenge before its code is checked: false when it has had
    /// [`MAX_CHALLENGE_ATTEMPTS`] already, was used, or expired. Taken before the check, so that
    /// concurrent guesses cannot exceed the budget.
    pub fn take_attempt(conn: &mut DbConnection, id: Id, now: NaiveDateTime) -> QueryResult<bool> {
        diesel::update(
            two_factor_challenges::table
                .find(id)
                .filter(two_factor_challenges::attempts.lt(MAX_CHALLENGE_ATTEMPTS))
                .filter(two_factor_challenges::used_at.is_null())
                .filter(two_factor_challenges::expires_at.gt(now)),
        )
        .set(two_factor_challenges::attempts.eq(two_factor_challenges::attempts + 1))
        .execute(conn)
        .map(|updated| updated == 1)
    }

    /// Uses the challenge up: true when this call did.
    pub fn use_up(conn: &mut DbConnection, id: Id, now: NaiveDateTime) -> QueryResult<bool> {
        diesel::update(
            two_factor_challenges::table
                .find(id)
                .filter(two_factor_challenges::used_at.is_null())
                .filter(two_factor_challenges::expires_at.gt(now)),
        )
        .set(two_factor_challenges::used_at.eq(now))
        .execute(conn)
        .map(|updated| updated == 1)
    }

    /// Deletes every challenge of the user (their logins end).
    pub fn delete_of_user(conn: &mut DbConnection, user_id: Id) -> QueryResult<()> {
        diesel::delete(
            two_factor_challenges::table.filter(two_factor_challenges::user_id.eq(user_id)),
        )
        .execute(conn)
        .map(drop)
    }

    /// Deletes up to `batch` challenges that expired before `before`.
    pub fn prune_batch(
        conn: &mut DbConnection,
        before: NaiveDateTime,
        batch: i64,
    ) -> QueryResult<usize> {
        let expired = expired_challenges
            .select(expired_challenges.field(two_factor_challenges::id))
            .filter(
                expired_challenges
                    .field(two_factor_challenges::expires_at)
                    .lt(before),
            )
            .limit(batch);
        diesel::delete(
            two_factor_challenges::table.filter(two_factor_challenges::id.eq_any(expired)),
        )
        .execute(conn)
    }
}
