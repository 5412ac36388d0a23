//! `users:import SOURCE`: a Laravel app's users table brought over with each user's Laravel id
//! (`users.legacy_id`), bcrypt hash, timestamps and verification, so tymon's tokens and the
//! passwords keep working after the switch. SOURCE is the Laravel database (a PostgreSQL URL, or
//! the SQLite file Laravel 11 uses by default) or a CSV export with a header. `--blacklist FILE`
//! marks the tokens the old app had logged out.

mod source;

use source::{SourceRow, read_source};

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use validator::ValidateEmail;

use crate::auth::sessions::{self, Audience};
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::jwt::laravel::laravel_jti;
use crate::models::{Imported, LaravelUser, blacklist_laravel_token, normalise_email};

/// Rows written per transaction: large enough to be fast, small enough to report progress.
const BATCH: usize = 1_000;
/// A progress line every this many rows.
const PROGRESS: usize = 10_000;

/// What the command was asked.
pub struct ImportOptions {
    pub source: String,
    /// Exit 0 even when rows were skipped.
    pub allow_skips: bool,
    /// A file of jtis (one per line) the old app had logged out.
    pub blacklist: Option<String>,
}

/// Runs the import into `pool`'s database; the summary line, or why nothing could be read.
pub fn import_users(config: &Config, pool: &DbPool, options: &ImportOptions) -> Result<(), String> {
    let rows = read_source(&options.source)?;
    let total = rows.len();
    let now = db::now();
    let (mut imported, mut updated, mut skipped, mut unchanged) = (0usize, 0usize, 0usize, 0usize);
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    for (batch_index, batch) in rows.chunks(BATCH).enumerate() {
        let checked: Vec<(String, Result<LaravelUser, String>)> = batch
            .iter()
            .map(|(place, row)| {
                let user = row
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|row| checked(row, now));
                (place.clone(), user)
            })
            .collect();
        let outcomes = conn
            .write_transaction(|conn| {
                checked
                    .iter()
                    .map(|(_, row)| match row {
                        Ok(user) => user.import(conn).map(Some),
                        Err(_) => Ok(None),
                    })
                    .collect::<QueryResult<Vec<_>>>()
            })
            .map_err(|e| format!("the import stopped: {e}"))?;
        for ((place, row), outcome) in checked.iter().zip(outcomes) {
            match (row, outcome) {
                (_, Some(Imported::Inserted)) => imported += 1,
                (_, Some(Imported::Updated)) => updated += 1,
                (_, Some(Imported::Unchanged)) => unchanged += 1,
                (_, Some(Imported::EmailTaken)) => {
                    skipped += 1;
                    eprintln!("skipped {place}: the email belongs to another user here");
                }
                (Err(why), None) => {
                    skipped += 1;
                    eprintln!("skipped {place}: {why}");
                }
                (Ok(_), None) => {}
            }
        }
        let done = (batch_index + 1) * BATCH;
        if done.is_multiple_of(PROGRESS) && done < total {
            eprintln!("… {done} of {total} rows");
        }
    }
    // The pool has one connection, which the blacklist needs next.
    drop(conn);
    let same = if unchanged > 0 {
        format!(" ({unchanged} already up to date)")
    } else {
        String::new()
    };
    println!("imported {imported}, updated {updated}, skipped {skipped}{same}");
    if let Some(file) = &options.blacklist {
        let marked = import_blacklist(config, pool, file)?;
        println!("blacklisted {marked} tokens of the Laravel app");
    }
    if skipped > 0 && !options.allow_skips {
        return Err(format!(
            "{skipped} rows were skipped (listed above); the others were imported. Fix them and run again, or pass --allow-skips"
        ));
    }
    Ok(())
}

/// The row as a user, checked as a sign-up would be, or why not.
fn checked(row: &SourceRow, now: NaiveDateTime) -> Result<LaravelUser, String> {
    let legacy_id = row
        .id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 255)
        .ok_or("id: missing")?;
    let name = row
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or("name: missing")?;
    if name.chars().count() > 255 {
        return Err("name: longer than 255 characters".into());
    }
    let email = normalise_email(row.email.as_deref().unwrap_or_default().trim());
    if email.is_empty() || email.len() > 255 || !email.validate_email() {
        return Err("email: not a valid address".into());
    }
    let password = row.password.as_deref().unwrap_or_default();
    let bcrypt = ["$2y$", "$2a$", "$2b$"]
        .iter()
        .any(|p| password.starts_with(p))
        && password.len() == 60;
    if !bcrypt {
        return Err(
            "password: not a bcrypt hash (an argon2 app must switch to bcrypt before moving)"
                .into(),
        );
    }
    let time = |value: &Option<String>, what: &str| -> Result<Option<NaiveDateTime>, String> {
        value
            .as_deref()
            .map(|text| parse_time(text).ok_or_else(|| format!("{what}: not a date and time")))
            .transpose()
    };
    let created_at = time(&row.created_at, "created_at")?.unwrap_or(now);
    Ok(LaravelUser {
        legacy_id: legacy_id.to_owned(),
        name: name.to_owned(),
        email,
        password: password.to_owned(),
        email_verified_at: time(&row.email_verified_at, "email_verified_at")?,
        created_at,
        updated_at: time(&row.updated_at, "updated_at")?.unwrap_or(created_at),
    })
}

/// Laravel's `Y-m-d H:i:s` (UTC, as Laravel stores it), with fractions, `T`, or an offset.
fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.naive_utc());
    }
    ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"]
        .iter()
        .find_map(|format| DateTime::parse_from_str(text, format).ok())
        .map(|time| time.naive_utc())
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        })
}

/// Marks the jtis of `file` (one per line) logged out, until no token of the old app could be
/// used anyway; how many were new.
fn import_blacklist(config: &Config, pool: &DbPool, file: &str) -> Result<usize, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let until = db::now() + sessions::lifetime(config, &Audience::Api);
    let jtis: Vec<_> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(laravel_jti)
        .collect();
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    conn.write_transaction(|conn| {
        jtis.iter()
            .map(|jti| blacklist_laravel_token(conn, *jti, until))
            .try_fold(0, |marked, new| new.map(|new| marked + usize::from(new)))
    })
    .map_err(|e| format!("the blacklist import stopped: {e}"))
}
