//! `users:import SOURCE`: a Laravel app's users table brought over with each user's Laravel id
//! (`users.legacy_id`), bcrypt hash, timestamps and verification, so tymon's tokens and the
//! passwords keep working after the switch. SOURCE is the Laravel database (a PostgreSQL URL, or
//! the SQLite file Laravel 11 uses by default) or a CSV export with a header. `--blacklist FILE`
//! marks the tokens the old app had logged out.

use std::path::Path;

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
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

/// One row as the source holds it: every column as text, or NULL.
#[derive(Debug, Default, QueryableByName)]
struct SourceRow {
    #[diesel(sql_type = Nullable<Text>)]
    id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    password: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    email_verified_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    created_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    updated_at: Option<String>,
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

/// A row of the source with where it is (`line N (id X)` or `id X`) for the report, or why it
/// cannot be read as a row.
type Placed = (String, Result<SourceRow, String>);

/// The rows of `source`.
fn read_source(source: &str) -> Result<Vec<Placed>, String> {
    if source.ends_with(".csv") {
        return read_csv(source);
    }
    // Every column as text, whatever type the Laravel migration gave it.
    let select = format!(
        "SELECT {} FROM users ORDER BY id",
        [
            "id",
            "name",
            "email",
            "password",
            "email_verified_at",
            "created_at",
            "updated_at"
        ]
        .map(|c| format!("CAST({c} AS TEXT) AS {c}"))
        .join(", ")
    );
    let rows: Vec<SourceRow> = if source.starts_with("postgres://")
        || source.starts_with("postgresql://")
    {
        let mut conn = PgConnection::establish(source).map_err(|_| {
            "cannot connect to the Laravel database (check the URL, its user and password)"
                .to_owned()
        })?;
        diesel::sql_query(&select)
            .load(&mut conn)
            .map_err(|e| format!("cannot read the Laravel users table: {e}"))?
    } else {
        let path = source
            .strip_prefix("sqlite://")
            .or_else(|| source.strip_prefix("sqlite:"))
            .unwrap_or(source);
        if !Path::new(path).is_file() {
            return Err(format!(
                "{path}: no such file (SOURCE is a postgres:// URL, a Laravel SQLite file or a .csv file)"
            ));
        }
        let mut conn =
            SqliteConnection::establish(path).map_err(|e| format!("cannot open {path}: {e}"))?;
        diesel::sql_query(&select)
            .load(&mut conn)
            .map_err(|e| format!("cannot read the Laravel users table: {e}"))?
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                format!("id {}", row.id.as_deref().unwrap_or("(none)")),
                Ok(row),
            )
        })
        .collect())
}

/// A CSV export with a header naming the columns (in any order; an empty field is NULL).
fn read_csv(path: &str) -> Result<Vec<Placed>, String> {
    // Not flexible: a row with more or fewer fields than the header (a comma in a name that an
    // exporter did not quote) would shift values into other columns, an email into `email`.
    let mut reader = csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|e| format!("{path}: {e}"))?;
    let header = reader
        .headers()
        .map_err(|e| format!("{path}: {e}"))?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let required = ["id", "name", "email", "password"];
    if let Some(missing) = required.iter().find(|name| column(name).is_none()) {
        return Err(format!(
            "{path}: the header has no {missing} column (expected id,name,email,password,email_verified_at,created_at,updated_at)"
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => match error.kind() {
                csv::ErrorKind::UnequalLengths { pos, len, .. } => {
                    let line = pos.as_ref().map_or(0, csv::Position::line);
                    let why = format!("has {len} fields, the header {}", header.len());
                    rows.push((format!("line {line}"), Err(why)));
                    continue;
                }
                _ => return Err(format!("{path}: {error}")),
            },
        };
        let line = record.position().map_or(0, csv::Position::line);
        let field = |name: &str| {
            column(name)
                .and_then(|i| record.get(i))
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let row = SourceRow {
            id: field("id"),
            name: field("name"),
            email: field("email"),
            password: field("password"),
            email_verified_at: field("email_verified_at"),
            created_at: field("created_at"),
            updated_at: field("updated_at"),
        };
        let place = format!("line {line} (id {})", row.id.as_deref().unwrap_or("(none)"));
        rows.push((place, Ok(row)));
    }
    Ok(rows)
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
