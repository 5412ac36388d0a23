//! Where `users:import` reads from: a Laravel database (PostgreSQL, or its SQLite file) or a CSV
//! export, every column as text.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

/// One row as the source holds it: every column as text, or NULL.
#[derive(Debug, Default, QueryableByName)]
pub(super) struct SourceRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) password: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) email_verified_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) created_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub(super) updated_at: Option<String>,
}

/// A row of the source with where it is (`line N (id X)` or `id X`) for the report, or why it
/// cannot be read as a row.
pub(super) type Placed = (String, Result<SourceRow, String>);

/// The rows of `source`.
pub(super) fn read_source(source: &str) -> Result<Vec<Placed>, String> {
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
