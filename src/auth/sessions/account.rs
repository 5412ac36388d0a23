//! An account's changes that reach its logins: roles and custom claims (read into every token
//! issued from then; with `now`, every login ends so that the change is immediate), and disabling
//! (every token refused at its next request) or enabling. Written against a connection, so that
//! the CLI and the admin API make the same change in the same transaction.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::{DbConnection, Id};
use crate::models::{self, CustomClaims, Ended, Roles, User};

/// A change to an account.
#[derive(Debug, Clone)]
pub enum AccountChange {
    Roles(Roles),
    Claims(CustomClaims),
    /// Disabled (true) or enabled (false).
    Disabled(bool),
}

/// Applies `change` to `user_id` at `now` and, with `end_logins`, ends every login of the user,
/// in one transaction. `None` when there is no such user; else how many sessions ended.
pub fn change_account(
    conn: &mut DbConnection,
    user_id: Id,
    change: &AccountChange,
    end_logins: bool,
    now: NaiveDateTime,
) -> QueryResult<Option<usize>> {
    conn.write_transaction(|conn| {
        let found = match change {
            AccountChange::Roles(roles) => User::set_roles(conn, user_id, roles)?,
            AccountChange::Claims(claims) => User::set_claims(conn, user_id, claims)?,
            AccountChange::Disabled(disabled) => {
                User::set_disabled(conn, user_id, disabled.then_some(now))?
            }
        };
        if !found {
            return Ok(None);
        }
        if !end_logins {
            return Ok(Some(0));
        }
        let why = Ended::AccountChanged;
        models::end_every_login(conn, user_id, None, why, now).map(Some)
    })
}
