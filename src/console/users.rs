//! `user:roles`, `user:claims`, `user:disable`, `user:enable`: an operator's changes to an account
//! (GoTrue's admin API from the shell). Each change reaches the user's next token; `--now` ends
//! every login of the user as well, so that no token issued before it stays in use.

use super::pool;
use crate::auth::sessions::{AccountChange, change_account};
use crate::config::Config;
use diesel::r2d2::PooledConnection;

use crate::db::{self, ConnectionManager, DbConnection};
use crate::models::{CustomClaims, User, normalise_email};

/// `user:roles EMAIL --add R --remove R [--now]`: prints the roles the user has after it.
pub fn change_roles(
    config: &Config,
    email: &str,
    add: Vec<String>,
    remove: Vec<String>,
    now: bool,
) -> Result<(), String> {
    let (mut conn, user) = user_by_email(config, email)?;
    let mut roles = user.role_set();
    for name in remove {
        roles.remove(&name);
    }
    for name in add {
        roles.add(name)?;
    }
    apply(&mut conn, &user, AccountChange::Roles(roles.clone()), now)?;
    println!("roles: {}", roles.names().join(" "));
    Ok(())
}

/// `user:claims EMAIL JSON [--now]`: replaces the user's custom claims (`{}` clears them).
pub fn change_claims(config: &Config, email: &str, json: &str, now: bool) -> Result<(), String> {
    let value = serde_json::from_str(json).map_err(|e| format!("the claims are not JSON: {e}"))?;
    let claims = CustomClaims::from_value(value)?;
    let (mut conn, user) = user_by_email(config, email)?;
    apply(&mut conn, &user, AccountChange::Claims(claims.clone()), now)?;
    println!("claims: {}", claims.to_json());
    Ok(())
}

/// `user:disable EMAIL` / `user:enable EMAIL`.
pub fn set_disabled(config: &Config, email: &str, disabled: bool) -> Result<(), String> {
    let (mut conn, user) = user_by_email(config, email)?;
    apply(&mut conn, &user, AccountChange::Disabled(disabled), false)?;
    let word = if disabled { "disabled" } else { "enabled" };
    println!("{}: {word}", user.email);
    Ok(())
}

fn apply(
    conn: &mut DbConnection,
    user: &User,
    change: AccountChange,
    end_logins: bool,
) -> Result<(), String> {
    let ended = change_account(conn, user.id, &change, end_logins, db::now())
        .map_err(|e| format!("the change failed: {e}"))?
        .ok_or_else(|| format!("no user {}", user.email))?;
    if end_logins {
        println!("sessions ended: {ended}");
    }
    Ok(())
}

type Connection = PooledConnection<ConnectionManager>;

/// A connection and the user with `email`, or why not.
fn user_by_email(config: &Config, email: &str) -> Result<(Connection, User), String> {
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let email = normalise_email(email);
    let user = User::find_by_email(&mut conn, &email)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user {email}"))?;
    Ok((conn, user))
}
