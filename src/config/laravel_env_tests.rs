//! A Laravel `.env` read as it is: `DB_*`, Laravel's value words, `MAIL_MAILER=log`, tymon's
//! settings, APP_URL from APP_HOST and APP_PORT, and every stopping setting named at once.

use super::tests::{SECRET, config};
use super::*;

#[test]
fn a_laravel_pgsql_env_composes_the_database_url_with_its_password_escaped() {
    let c = config(&[
        ("JWT_SECRET", SECRET),
        ("DB_CONNECTION", "pgsql"),
        ("DB_HOST", "db.internal"),
        ("DB_PORT", "6432"),
        ("DB_DATABASE", "shop"),
        ("DB_USERNAME", "app"),
        ("DB_PASSWORD", "p@ss/w%rd"),
    ])
    .unwrap();
    assert_eq!(
        c.database_url,
        "postgres://app:p%40ss%2Fw%25rd@db.internal:6432/shop"
    );
    let defaults = config(&[("JWT_SECRET", SECRET), ("DB_CONNECTION", "pgsql")]).unwrap();
    assert_eq!(
        defaults.database_url,
        "postgres://root@127.0.0.1:5432/laravel"
    );
}

#[test]
fn database_url_wins_over_db_settings_and_sqlite_reads_db_database() {
    let both = config(&[
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", "postgres://root@127.0.0.1/test"),
        ("DB_CONNECTION", "pgsql"),
    ])
    .unwrap();
    assert_eq!(both.database_url, "postgres://root@127.0.0.1/test");
    let sqlite = config(&[
        ("JWT_SECRET", SECRET),
        ("DB_CONNECTION", "sqlite"),
        ("DB_DATABASE", "database/database.sqlite"),
    ])
    .unwrap();
    assert_eq!(sqlite.database_url, "database/database.sqlite");
}

#[test]
fn mysql_stops_the_start_saying_how_to_move() {
    for connection in ["mysql", "mariadb"] {
        let error = config(&[("JWT_SECRET", SECRET), ("DB_CONNECTION", connection)]).unwrap_err();
        assert_eq!(error.var, "DB_CONNECTION");
        assert!(error.message.contains("users:import"), "{}", error.message);
    }
}

#[test]
fn laravels_null_empty_and_parenthesised_booleans_are_understood() {
    let c = config(&[
        ("JWT_SECRET", SECRET),
        ("MAIL_ENCRYPTION", "null"),
        ("MAIL_MAILER", "smtp"),
        ("MAIL_USERNAME", "(null)"),
        ("MAIL_PASSWORD", "EMPTY"),
        ("SPA_DEMO", "(true)"),
        ("MAIL_VERIFY", "(false)"),
    ])
    .unwrap();
    let MailerConfig::Smtp(smtp) = &c.mail.mailer else {
        panic!("smtp expected");
    };
    assert_eq!(
        smtp.encryption,
        Encryption::StartTls,
        "null is unset: the default"
    );
    assert!(smtp.username.is_none() && smtp.password.is_none());
    assert!(c.spa_demo && !c.mail.verify_on_register);
}

#[test]
fn the_log_mailer_runs_outside_production_and_stops_a_production_start() {
    let local = config(&[("JWT_SECRET", SECRET), ("MAIL_MAILER", "log")]).unwrap();
    assert!(matches!(local.mail.mailer, MailerConfig::Log));
    let error = config(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET", SECRET),
        ("MAIL_MAILER", "log"),
    ])
    .unwrap_err();
    assert_eq!(error.var, "MAIL_MAILER");
    assert!(error.also.is_empty(), "{error}");
}

#[test]
fn tymon_settings_that_are_not_honoured_stop_the_start_and_the_unread_are_listed() {
    let off = config(&[("JWT_SECRET", SECRET), ("JWT_BLACKLIST_ENABLED", "false")]).unwrap_err();
    assert_eq!(off.var, "JWT_BLACKLIST_ENABLED");
    assert!(config(&[("JWT_SECRET", SECRET), ("JWT_BLACKLIST_ENABLED", "true")]).is_ok());
    let passphrase = config(&[("JWT_SECRET", SECRET), ("JWT_PASSPHRASE", "x")]).unwrap_err();
    assert_eq!(passphrase.var, "JWT_PASSPHRASE");
    let names = [
        "JWT_TTL",
        "JWT_SHOW_BLACKLIST_EXCEPTION",
        "JWT_PASSPHRASE",
        "APP_NAME",
        "JWT_LOCK_SUBJECT",
    ];
    assert_eq!(
        unread_jwt_settings(names.map(String::from)),
        ["JWT_LOCK_SUBJECT", "JWT_SHOW_BLACKLIST_EXCEPTION"]
    );
}

#[test]
fn app_url_follows_app_host_and_app_port_when_unset() {
    let c = config(&[("JWT_SECRET", SECRET), ("APP_PORT", "9123")]).unwrap();
    assert_eq!(c.app_url, "http://localhost:9123");
    assert_eq!(c.jwt.issuer, "http://localhost:9123");
    assert_eq!(c.mail.frontend_url, "http://localhost:9123");
    let named = config(&[
        ("JWT_SECRET", SECRET),
        ("APP_HOST", "auth.lan"),
        ("APP_PORT", "80"),
    ])
    .unwrap();
    assert_eq!(named.app_url, "http://auth.lan:80");
}

#[test]
fn a_production_start_names_every_setting_that_stops_it_at_once() {
    let error = config(&[
        ("APP_ENV", "production"),
        ("APP_KEY", ""),
        ("DB_POOL_SIZE", "0"),
    ])
    .unwrap_err();
    let mut named: Vec<&str> = std::iter::once(error.var)
        .chain(error.also.iter().map(|e| e.var))
        .collect();
    named.sort_unstable();
    assert_eq!(
        named,
        ["APP_KEY", "DB_POOL_SIZE", "JWT_SECRET", "MAIL_MAILER"],
        "{error}"
    );
    assert_eq!(error.to_string().lines().count(), 4);
}
