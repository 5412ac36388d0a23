//! `user:list`, `user:show`, `user:roles`, `user:claims`, `user:disable`, `user:enable`,
//! `user:delete`: an operator's view of and changes to accounts (GoTrue's admin API from the shell). Each change reaches the user's next token; `--now` ends
//! every login of the user as well, so that no token issued before it stays in use.

use super::pool;
use crate::audit::{self, AuthEvent};
use crate::auth::sessions::{AccountChange, change_account, delete_account};
use crate::config::Config;
use crate::metrics::Metrics;
use diesel::r2d2::PooledConnection;

use crate::db::{self, ConnectionManager, DbConnection};
use crate::models::{CustomClaims, User, normalise_email};
use crate::resources::AdminUserResource;

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
    let ended = change_account(conn, user.id, &[change], end_logins, db::now())
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

/// `user:list [--search S] [--json]`: every user (or those matching), oldest first, a line each
/// (`id email roles disabled name`), or a JSON array of what the admin API answers.
pub fn list_users(config: &Config, search: Option<&str>, json: bool) -> Result<(), String> {
    let pool = pool(config)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let found = User::page(&mut conn, search, 0, i64::MAX).map_err(|e| e.to_string())?;
    if json {
        let ids: Vec<_> = found.users.iter().map(|user| user.id).collect();
        let counts =
            User::sessions_counts(&mut conn, &ids, db::now()).map_err(|e| e.to_string())?;
        let users: Vec<AdminUserResource> = found
            .users
            .into_iter()
            .map(|user| {
                let count = counts.get(&user.id).copied().unwrap_or(0);
                AdminUserResource::new(user, count)
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&users).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    for user in found.users {
        let disabled = if user.is_disabled() { "disabled" } else { "-" };
        let roles = user.role_set().names().join(",");
        let roles = if roles.is_empty() {
            "-".to_owned()
        } else {
            roles
        };
        println!(
            "{} {} {roles} {disabled} {}",
            user.id, user.email, user.name
        );
    }
    Ok(())
}

/// `user:show EMAIL`: the user as the admin API shows it, as JSON.
pub fn show_user(config: &Config, email: &str) -> Result<(), String> {
    let (mut conn, user) = user_by_email(config, email)?;
    let counts =
        User::sessions_counts(&mut conn, &[user.id], db::now()).map_err(|e| e.to_string())?;
    let count = counts.get(&user.id).copied().unwrap_or(0);
    let shown = AdminUserResource::new(user, count);
    println!(
        "{}",
        serde_json::to_string_pretty(&shown).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// `user:delete EMAIL`: the account with every row of it, as `DELETE /api/user` deletes it.
pub fn delete_user(config: &Config, email: &str) -> Result<(), String> {
    let (mut conn, user) = user_by_email(config, email)?;
    if !delete_account(&mut conn, user.id).map_err(|e| format!("cannot delete: {e}"))? {
        return Err(format!("no user {}", user.email));
    }
    // The same audit line as the API's, by the user itself: the CLI acts for no other account.
    if let Ok(metrics) = Metrics::new() {
        let deleted = AuthEvent::AccountDeleted {
            user_id: user.id,
            by: user.id,
        };
        audit::record(&metrics, &deleted);
    }
    println!("deleted: {}", user.email);
    Ok(())
}
