//! An account's changes that reach its logins: its name, roles and custom claims (read into every
//! token issued from then; with `end_logins`, every login ends so that the change is immediate),
//! disabling (every token refused at its next request) or enabling, signing it out everywhere,
//! and deleting it with every row of it. The changes are written against a connection, so that
//! the CLI and the admin API make them the same way, each in one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Device, confirm_password, record};
use crate::audit::AuthEvent;
use crate::auth::two_factor::{self, SecondFactor, code_required};
use crate::db::{self, DbConnection, Id};
use crate::error::AppResult;
use crate::jwt::Claims;
use crate::models::{self, CustomClaims, Ended, Roles, User};
use crate::schema::users;
use crate::state::AppState;

/// A change to an account.
#[derive(Debug, Clone)]
pub enum AccountChange {
    Name(String),
    Roles(Roles),
    Claims(CustomClaims),
    /// Disabled (true) or enabled (false).
    Disabled(bool),
}

impl AccountChange {
    /// The change's name in the audit line.
    fn what(&self) -> &'static str {
        match self {
            Self::Name(_) => "name",
            Self::Roles(_) => "roles",
            Self::Claims(_) => "claims",
            Self::Disabled(true) => "disabled",
            Self::Disabled(false) => "enabled",
        }
    }
}

/// Applies `changes` to `user_id` at `now` and, with `end_logins`, ends every login of the user,
/// in one transaction. `None` when there is no such user; else how many sessions ended.
pub fn change_account(
    conn: &mut DbConnection,
    user_id: Id,
    changes: &[AccountChange],
    end_logins: bool,
    now: NaiveDateTime,
) -> QueryResult<Option<usize>> {
    conn.write_transaction(|conn| {
        let found = users::table
            .find(user_id)
            .select(users::id)
            .first::<Id>(conn)
            .optional()?
            .is_some();
        if !found {
            return Ok(None);
        }
        for change in changes {
            match change {
                AccountChange::Name(name) => User::set_name(conn, user_id, name)?,
                AccountChange::Roles(roles) => User::set_roles(conn, user_id, roles)?,
                AccountChange::Claims(claims) => User::set_claims(conn, user_id, claims)?,
                AccountChange::Disabled(disabled) => {
                    User::set_disabled(conn, user_id, disabled.then_some(now))?
                }
            };
        }
        if !end_logins {
            return Ok(Some(0));
        }
        let why = Ended::AccountChanged;
        models::end_every_login(conn, user_id, None, why, now).map(Some)
    })
}

/// Deletes `user_id` with every row of it, in one transaction: false when there was none.
pub fn delete_account(conn: &mut DbConnection, user_id: Id) -> QueryResult<bool> {
    conn.write_transaction(|conn| User::delete_account(conn, user_id))
}

/// The admin `by` applies `changes` to `user_id` (with `end_logins`, signing the user out
/// everywhere): `None` when there is no such user, else how many sessions ended. Audited.
pub async fn change_by_admin(
    state: &AppState,
    by: Id,
    user_id: Id,
    changes: Vec<AccountChange>,
    end_logins: bool,
) -> AppResult<Option<usize>> {
    let mut what: Vec<&str> = changes.iter().map(AccountChange::what).collect();
    if end_logins {
        what.push("signed_out");
    }
    let ended = state
        .db
        .run(move |conn| change_account(conn, user_id, &changes, end_logins, db::now()))
        .await?;
    if let Some(sessions_ended) = ended {
        let what = what.join(",");
        record(
            state,
            AuthEvent::AccountChanged {
                user_id,
                by,
                what,
                sessions_ended,
            },
        );
    }
    Ok(ended)
}

/// Deletes `user_id`'s account (by the user or the admin `by`): false when there was none.
/// Audited with the ids alone.
pub async fn delete_by(state: &AppState, by: Id, user_id: Id) -> AppResult<bool> {
    let deleted = state
        .db
        .run(move |conn| delete_account(conn, user_id))
        .await?;
    if deleted {
        record(state, AuthEvent::AccountDeleted { user_id, by });
    }
    Ok(deleted)
}

/// `DELETE /api/user`: the user deletes their own account with `password`, and while two-factor
/// is on with `factor` too, used up in the transaction that deletes every row of the account.
pub async fn delete_own_account(
    state: &AppState,
    user: &User,
    claims: &Claims,
    password: Option<String>,
    factor: Option<SecondFactor>,
    device: &Device,
) -> AppResult<()> {
    claims.first_party_only()?;
    let factor = match (user.has_two_factor(), factor) {
        (false, _) => None,
        (true, Some(factor)) => Some(factor),
        (true, None) => return Err(code_required()),
    };
    confirm_password(state, user, password, device.ip, "account_delete").await?;
    let user_id = user.id;
    match factor {
        Some(factor) => {
            two_factor::prove(
                state,
                user,
                factor,
                device.ip,
                "account_delete",
                move |conn, _, _| User::delete_account(conn, user_id).map(|_| Ok(())),
            )
            .await?
        }
        None => drop(
            state
                .db
                .run(move |conn| delete_account(conn, user_id))
                .await?,
        ),
    }
    record(
        state,
        AuthEvent::AccountDeleted {
            user_id,
            by: user_id,
        },
    );
    Ok(())
}
