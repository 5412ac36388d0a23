//! `DATABASE_URL`, or a Laravel `.env`'s `DB_*` (config/database.php), the pool's settings, and
//! APP_URL's default.

use std::time::Duration;

use super::reader::Reader;
use super::{ConfigError, invalid};

/// APP_URL's default: where a browser on this machine reaches `host`:`port`.
pub(super) fn url_of(host: &str, port: u16) -> String {
    let host = match host {
        "127.0.0.1" | "0.0.0.0" | "::" | "::1" | "[::]" | "[::1]" | "localhost" => "localhost",
        other => other,
    };
    if host.contains(':') && !host.starts_with('[') {
        format!("http://[{host}]:{port}")
    } else {
        format!("http://{host}:{port}")
    }
}

/// The database without `DATABASE_URL` or `DB_CONNECTION`: SQLite in the project's storage folder.
pub const SQLITE_DEFAULT: &str = "storage/database.sqlite";

/// `DATABASE_URL` (or Laravel's `DB_*`), `DB_POOL_SIZE`, `DB_TIMEOUT`.
pub(super) fn database<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
) -> Result<(String, u32, Duration), ConfigError> {
    let pool_size = r.positive("DB_POOL_SIZE")?;
    Ok((database_url(r)?, pool_size, r.seconds("DB_TIMEOUT")?))
}

/// `DATABASE_URL`; without it, a Laravel `.env`'s `DB_CONNECTION` with `DB_HOST`, `DB_PORT`,
/// `DB_DATABASE`, `DB_USERNAME` and `DB_PASSWORD` (config/database.php's defaults).
fn database_url<F: Fn(&str) -> Option<String>>(r: &Reader<F>) -> Result<String, ConfigError> {
    if let Some(url) = r.set("DATABASE_URL") {
        return Ok(url);
    }
    let default = || SQLITE_DEFAULT.to_owned();
    match r
        .set("DB_CONNECTION")
        .map(|c| c.to_ascii_lowercase())
        .as_deref()
    {
        None => Ok(default()),
        Some("sqlite") => Ok(r.set("DB_DATABASE").unwrap_or_else(default)),
        Some("pgsql") => {
            // Userinfo and path escaped: a password may hold `@`, `/` or `%`.
            let part = |var| {
                let value = r.text(var).unwrap_or_default();
                percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            let host = r.text("DB_HOST").unwrap_or_default();
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host
            };
            let port: u16 = r.required("DB_PORT")?;
            let database = r.set("DB_DATABASE").unwrap_or_else(|| "laravel".into());
            let database = percent_encoding::utf8_percent_encode(
                &database,
                percent_encoding::NON_ALPHANUMERIC,
            );
            let (user, password) = (part("DB_USERNAME"), part("DB_PASSWORD"));
            let credentials = if password.is_empty() {
                user
            } else {
                format!("{user}:{password}")
            };
            Ok(format!("postgres://{credentials}@{host}:{port}/{database}"))
        }
        Some("mysql" | "mariadb") => Err(invalid(
            "DB_CONNECTION",
            "MySQL and MariaDB are not supported (SQLite or PostgreSQL are): export the users \
             table as CSV and bring it over with `users:import users.csv` \
             (docs/migrating-from-laravel.md)",
        )),
        Some(other) => Err(invalid(
            "DB_CONNECTION",
            format!("{other:?} is not sqlite or pgsql"),
        )),
    }
}
