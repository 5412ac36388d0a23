//! The binary's start as someone coming from Laravel meets it: their `.env` as it is, a database
//! setting that cannot work answered at once with what to do, Ctrl-C, and `db:seed` in production.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::cli::{SECRET, WorkDir, command};
use crate::helpers::{Backend, TestDb};

/// Runs `migrate` with `env`; its stderr and how long it took, after checking that it failed.
fn failed_start(env: &[(&str, &str)]) -> (String, Duration) {
    let dir = WorkDir::new();
    let started = Instant::now();
    let output = command(&dir.0, env).arg("migrate").output().unwrap();
    let took = started.elapsed();
    assert!(!output.status.success());
    (String::from_utf8_lossy(&output.stderr).into_owned(), took)
}

/// TEST_DATABASE_URL's server with another user and database.
fn postgres_url(user: &str, database: &str) -> String {
    let admin = std::env::var("TEST_DATABASE_URL").unwrap();
    let parsed = url::Url::parse(&admin).unwrap();
    let port = parsed.port().unwrap_or(5432);
    format!(
        "postgres://{user}@{}:{port}/{database}",
        parsed.host_str().unwrap()
    )
}

#[test]
fn a_postgres_database_that_does_not_exist_stops_the_start_at_once_saying_createdb() {
    let Some(_) = Backend::postgres() else { return };
    let url = postgres_url("root", "no_such_database_here");
    let (stderr, took) = failed_start(&[
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", &url),
        ("DB_TIMEOUT", "5"),
    ]);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(
        stderr.contains("createdb no_such_database_here"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("connection failed").count(),
        0,
        "no retry storm: {stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
}

#[test]
fn an_unknown_postgres_role_stops_the_start_at_once_saying_createuser() {
    let Some(_) = Backend::postgres() else { return };
    let url = postgres_url("no_such_role_here", "postgres");
    let (stderr, took) = failed_start(&[
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", &url),
        ("DB_TIMEOUT", "5"),
    ]);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(stderr.contains("createuser"), "{stderr}");
}

#[test]
fn a_bad_escape_in_the_url_is_called_malformed_and_shows_no_part_of_the_password() {
    let Some(_) = Backend::postgres() else { return };
    let admin = url::Url::parse(&std::env::var("TEST_DATABASE_URL").unwrap()).unwrap();
    let url = format!(
        "postgres://root:hunter%zz2wordy@{}:{}/postgres",
        admin.host_str().unwrap(),
        admin.port().unwrap_or(5432)
    );
    let (stderr, took) = failed_start(&[
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", &url),
        ("DB_TIMEOUT", "5"),
    ]);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(stderr.contains("malformed"), "{stderr}");
    for part in ["hunter", "zz2", "wordy"] {
        assert!(!stderr.contains(part), "{part} in {stderr}");
    }
}

#[test]
fn a_laravel_11_env_for_pgsql_runs_on_postgresql_as_it_is() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let db = TestDb::create(backend);
    let parsed = url::Url::parse(&db.url).unwrap();
    let dir = WorkDir::new();
    // A Laravel 11 `.env` with its defaults, pointed at the test database.
    let env = format!(
        "APP_NAME=Laravel\nAPP_ENV=local\nAPP_KEY=base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nAPP_DEBUG=true\n\
         APP_TIMEZONE=UTC\nAPP_URL=http://localhost\n\nLOG_CHANNEL=stack\nLOG_LEVEL=debug\n\n\
         DB_CONNECTION=pgsql\nDB_HOST={host}\nDB_PORT={port}\nDB_DATABASE={database}\nDB_USERNAME={user}\nDB_PASSWORD=\n\n\
         SESSION_DRIVER=database\nCACHE_STORE=database\nQUEUE_CONNECTION=database\n\n\
         MAIL_MAILER=log\nMAIL_HOST=127.0.0.1\nMAIL_PORT=2525\nMAIL_USERNAME=null\nMAIL_PASSWORD=null\n\
         MAIL_ENCRYPTION=null\nMAIL_FROM_ADDRESS=\"hello@example.com\"\nMAIL_FROM_NAME=\"${{APP_NAME}}\"\n\n\
         JWT_SECRET={SECRET}\nJWT_SHOW_BLACKLIST_EXCEPTION=true\n",
        host = parsed.host_str().unwrap(),
        port = parsed.port().unwrap_or(5432),
        database = parsed.path().trim_start_matches('/'),
        user = parsed.username(),
    );
    std::fs::write(dir.0.join(".env"), env).unwrap();
    let output = command(&dir.0, &[]).arg("migrate").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("JWT_SHOW_BLACKLIST_EXCEPTION"),
        "the unread setting is named: {stderr}"
    );
    assert!(
        !dir.0.join("storage/database.sqlite").exists(),
        "not on SQLite"
    );
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&db.url).unwrap();
    let migrated: i64 = diesel::RunQueryDsl::get_result(
        diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM __diesel_schema_migrations)",
        )),
        &mut conn,
    )
    .unwrap();
    assert!(migrated > 0);
}

#[test]
fn ctrl_c_outside_production_stops_at_once() {
    let dir = WorkDir::new();
    let mut child = command(
        &dir.0,
        &[
            ("APP_ENV", "local"),
            ("APP_PORT", "0"),
            ("APP_URL", "http://localhost"),
            ("DATABASE_URL", "db.sqlite"),
            ("JWT_SECRET", SECRET),
            ("SHUTDOWN_DELAY", "30"),
            ("RUST_LOG", "info"),
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.contains("listening on"));
    assert!(listening);
    let interrupted = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(
        interrupted.elapsed() < Duration::from_secs(2),
        "took {:?}",
        interrupted.elapsed()
    );
    assert!(status.success(), "{status:?}");
}

#[test]
fn db_seed_refuses_production_unless_forced() {
    let dir = WorkDir::new();
    let production = [
        ("APP_ENV", "production"),
        (
            "APP_KEY",
            "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ),
        ("JWT_SECRET", SECRET),
        ("MAIL_MAILER", "none"),
        ("DATABASE_URL", "db.sqlite"),
    ];
    let refused = command(&dir.0, &production)
        .args(["db:seed", "--users", "1"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert!(refused.stdout.is_empty());
    let forced = command(&dir.0, &production)
        .args(["db:seed", "--users", "1", "--force"])
        .output()
        .unwrap();
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&forced.stdout).lines().count(), 1);
}
