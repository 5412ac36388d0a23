//! Switching from a Laravel app with nobody logged out: `users:import` from a Laravel SQLite
//! database and from CSV, and tymon's tokens accepted through the switch-over.

use chrono::Utc;
use diesel::prelude::*;
use jwt_auth_server::config::{Config, LaravelTokensConfig, Secret};
use jwt_auth_server::crypto::sha1_hex;
use jwt_auth_server::schema::{blacklisted_tokens, sessions, users};
use serde_json::{Value, json};

use crate::cli::{SECRET, WorkDir, command};
use crate::helpers::{Backend, TestApp};

/// Made by PHP 8.2: password_hash("laravel-imported-password", PASSWORD_BCRYPT, ["cost" => 10]).
const LARAVEL_HASH: &str = "$2y$10$q0I0uhDMwgkq6eg2.1Bo6O3961QxAwU/YsfaPSFRYQc.TDDpNH6B2";
const LARAVEL_PASSWORD: &str = "laravel-imported-password";
const OLD_SECRET: &str = "the-laravel-apps-jwt-secret-of-64-characters-0123456789abcdefghij";
const MODEL: &str = "App\\Models\\User";

/// The rows both sources hold: two good users, a duplicate email and a malformed row.
const ROWS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "1",
        "Ann Laravel",
        "ann@example.com",
        LARAVEL_HASH,
        "2024-01-02 03:04:05",
    ),
    ("2", "Bob Unverified", "bob@example.com", LARAVEL_HASH, ""),
    ("3", "Ann Again", "ANN@example.com", LARAVEL_HASH, ""),
    (
        "4",
        "Broken",
        "carol@example.com",
        "plain-text-password",
        "",
    ),
];

/// The INSERTs of `rows` into a Laravel `users` table.
fn inserts<'a>(
    rows: impl Iterator<Item = &'a (&'a str, &'a str, &'a str, &'a str, &'a str)>,
) -> Vec<String> {
    rows.map(|(id, name, email, password, verified)| {
        let verified = if verified.is_empty() {
            "NULL".to_owned()
        } else {
            format!("'{verified}'")
        };
        format!(
            "INSERT INTO users VALUES ({id}, '{name}', '{email}', {verified}, '{password}', NULL, \
             '2023-05-06 07:08:09', '2023-05-06 07:08:09')"
        )
    })
    .collect()
}

/// A Laravel 11 SQLite database (its `users` migration) holding [`ROWS`].
fn laravel_sqlite(dir: &WorkDir) -> String {
    let path = dir.0.join("database.sqlite").display().to_string();
    let mut conn = SqliteConnection::establish(&path).unwrap();
    diesel::sql_query(
        "CREATE TABLE users (id integer primary key autoincrement not null, name varchar not null, \
         email varchar not null, email_verified_at datetime, password varchar not null, \
         remember_token varchar, created_at datetime, updated_at datetime)",
    )
    .execute(&mut conn)
    .unwrap();
    for insert in inserts(ROWS.iter()) {
        diesel::sql_query(insert).execute(&mut conn).unwrap();
    }
    path
}

/// The same rows as a CSV export (quoted, a comma inside a name).
fn laravel_csv(dir: &WorkDir) -> String {
    let path = dir.0.join("users.csv");
    let mut text = String::from("id,name,email,password,email_verified_at,created_at,updated_at\n");
    for (id, name, email, password, verified) in ROWS {
        text.push_str(&format!("{id},\"{name}, Esq.\",{email},{password},{verified},2023-05-06 07:08:09,2023-05-06 07:08:09\n"));
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `users:import` into `app`'s database; (success, stdout, stderr).
fn import(app: &TestApp, dir: &WorkDir, args: &[&str]) -> (bool, String, String) {
    let output = command(
        &dir.0,
        &[
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", &app.config.database_url),
        ],
    )
    .arg("users:import")
    .args(args)
    .output()
    .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// (legacy_id, name, email, password, verified) of a user.
type ImportedUser = (Option<String>, String, String, String, bool);

/// Every user, by Laravel id.
fn imported(app: &TestApp) -> Vec<ImportedUser> {
    type Row = (
        Option<String>,
        String,
        String,
        String,
        Option<chrono::NaiveDateTime>,
    );
    let rows: Vec<Row> = app.query(|conn| {
        users::table
            .select((
                users::legacy_id,
                users::name,
                users::email,
                users::password,
                users::email_verified_at,
            ))
            .order(users::legacy_id)
            .load(conn)
    });
    rows.into_iter()
        .map(|(id, name, email, hash, verified)| (id, name, email, hash, verified.is_some()))
        .collect()
}

fn assert_imported(app: &TestApp, name_suffix: &str) {
    assert_eq!(
        imported(app),
        [
            (
                Some("1".into()),
                format!("Ann Laravel{name_suffix}"),
                "ann@example.com".into(),
                LARAVEL_HASH.into(),
                true
            ),
            (
                Some("2".into()),
                format!("Bob Unverified{name_suffix}"),
                "bob@example.com".into(),
                LARAVEL_HASH.into(),
                false
            ),
        ]
    );
}

fn login(app: &TestApp, email: &str) -> u16 {
    app.post("/api/login")
        .json(&json!({ "email": email, "password": LARAVEL_PASSWORD }))
        .send()
        .status
}

/// Turns the switch-over on: the old app's secret, accepted until `until`.
fn switching(until: chrono::DateTime<Utc>) -> impl FnOnce(&mut Config) {
    move |config| {
        config.jwt.laravel = Some(LaravelTokensConfig {
            secret: Secret::new(OLD_SECRET),
            until,
            user_model: MODEL.into(),
            issuer_prefix: None,
        });
    }
}

/// A token as tymon issues it for the user with Laravel id `sub`, signed with `secret`.
fn tymon_token(sub: Value, jti: &str, prv: &str, secret: &str) -> String {
    let now = Utc::now().timestamp();
    let claims = json!({
        "iss": "http://laravel.test/api/auth/login", "iat": now - 60, "exp": now + 3540, "nbf": now - 60,
        "jti": jti, "sub": sub, "prv": prv,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn prv() -> String {
    sha1_hex(MODEL.as_bytes())
}

/// Ann, imported with Laravel id 1, straight into `app`'s database.
fn insert_ann(app: &TestApp) {
    app.execute(&format!(
        "INSERT INTO users (id, name, email, password, created_at, updated_at, legacy_id) VALUES \
         ('01900000-0000-7000-8000-0000000000a1', 'Ann', 'ann@example.com', '{LARAVEL_HASH}', \
         '2024-01-01 00:00:00', '2024-01-01 00:00:00', '1')"
    ));
}

api_tests! {
    fn a_laravel_sqlite_database_is_imported_twice_to_the_same_result(backend) {
        let app = TestApp::spawn(backend);
        let dir = WorkDir::new();
        let source = laravel_sqlite(&dir);
        let (ok, stdout, stderr) = import(&app, &dir, &[&source]);
        assert!(!ok, "skipped rows fail the command: {stderr}");
        assert_eq!(stdout.trim(), "imported 2, updated 0, skipped 2", "{stderr}");
        assert!(stderr.contains("skipped id 3: the email belongs to another user here"), "{stderr}");
        assert!(stderr.contains("skipped id 4: password: not a bcrypt hash"), "{stderr}");
        assert_imported(&app, "");
        let (ok, stdout, stderr) = import(&app, &dir, &[&format!("sqlite://{source}"), "--allow-skips"]);
        assert!(ok, "{stderr}");
        assert_eq!(stdout.trim(), "imported 0, updated 0, skipped 2 (2 already up to date)");
        assert_imported(&app, "");
        // The hash verifies as it is, and is rehashed at the configured cost on the first login.
        assert_eq!(login(&app, "ann@example.com"), 200);
        assert_eq!(login(&app, "bob@example.com"), 200);
        assert!(!imported(&app)[0].3.starts_with("$2y$10$"));
    }

    fn a_csv_export_is_imported_with_each_bad_row_named_by_its_line(backend) {
        let app = TestApp::spawn(backend);
        let dir = WorkDir::new();
        let source = laravel_csv(&dir);
        let (ok, stdout, stderr) = import(&app, &dir, &[&source, "--allow-skips"]);
        assert!(ok, "{stderr}");
        assert_eq!(stdout.trim(), "imported 2, updated 0, skipped 2");
        assert!(stderr.contains("skipped line 4 (id 3)"), "{stderr}");
        assert!(stderr.contains("skipped line 5 (id 4)"), "{stderr}");
        assert_imported(&app, ", Esq.");
        let (_, again, _) = import(&app, &dir, &[&source, "--allow-skips"]);
        assert_eq!(again.trim(), "imported 0, updated 0, skipped 2 (2 already up to date)");
        assert_imported(&app, ", Esq.");
    }

    fn a_csv_row_with_more_fields_than_the_header_is_refused_not_shifted(backend) {
        let app = TestApp::spawn(backend);
        let dir = WorkDir::new();
        let path = dir.0.join("ragged.csv");
        // An unquoted comma in the name: the rest would shift into email, password, verified.
        std::fs::write(
            &path,
            format!(
                "id,name,email,password,email_verified_at,created_at,updated_at\n\
                 7,Mallory,victim@example.com,{LARAVEL_HASH},2024-01-01 00:00:00,mallory@example.com,{LARAVEL_HASH},,2023-05-06 07:08:09,2023-05-06 07:08:09\n\
                 1,Ann,ann@example.com,{LARAVEL_HASH},,2023-05-06 07:08:09,2023-05-06 07:08:09\n"
            ),
        )
        .unwrap();
        let (ok, stdout, stderr) = import(&app, &dir, &[&path.display().to_string()]);
        assert!(!ok);
        assert_eq!(stdout.trim(), "imported 1, updated 0, skipped 1", "{stderr}");
        assert!(stderr.contains("skipped line 2: has 10 fields, the header 7"), "{stderr}");
        let emails: Vec<String> = app.query(|conn| users::table.select(users::email).load(conn));
        assert_eq!(emails, ["ann@example.com"]);
    }

    fn a_second_import_brings_newer_laravel_rows_and_never_puts_back_a_password_changed_here(backend) {
        let app = TestApp::spawn(backend);
        let dir = WorkDir::new();
        let source = laravel_sqlite(&dir);
        import(&app, &dir, &[&source, "--allow-skips"]);
        // Bob changes his password here; Ann changes her name in the Laravel app afterwards.
        app.execute("UPDATE users SET password = 'changed-here', updated_at = '2030-01-01 00:00:00' WHERE legacy_id = '2'");
        let mut laravel = SqliteConnection::establish(&source).unwrap();
        diesel::sql_query("UPDATE users SET name = name || ' Renamed', updated_at = '2029-01-01 00:00:00' WHERE id IN (1, 2)")
            .execute(&mut laravel)
            .unwrap();
        let (ok, stdout, stderr) = import(&app, &dir, &[&source, "--allow-skips"]);
        assert!(ok, "{stderr}");
        assert_eq!(stdout.trim(), "imported 0, updated 1, skipped 2 (1 already up to date)", "{stderr}");
        let users: Vec<(String, String)> = app.query(|conn| {
            users::table.select((users::name, users::password)).order(users::legacy_id).load(conn)
        });
        assert_eq!(
            users,
            [
                ("Ann Laravel Renamed".to_owned(), LARAVEL_HASH.to_owned()),
                ("Bob Unverified".to_owned(), "changed-here".to_owned()),
            ]
        );
    }

    fn a_tymon_token_works_as_an_access_token_with_sub_as_number_or_string(backend) {
        let app = TestApp::spawn_with(backend, switching(Utc::now() + chrono::Duration::hours(1)));
        insert_ann(&app);
        for sub in [json!(1), json!("1")] {
            let token = tymon_token(sub.clone(), &format!("jti-{sub}"), &prv(), OLD_SECRET);
            let me = app.get("/api/me").bearer(&token).send();
            assert_eq!(me.status, 200, "{sub}: {}", me.text);
            assert_eq!(me.json()["email"], "ann@example.com");
        }
    }

    fn refresh_exchanges_a_tymon_token_for_a_session_of_ours_and_blacklists_it(backend) {
        let app = TestApp::spawn_with(backend, switching(Utc::now() + chrono::Duration::hours(1)));
        insert_ann(&app);
        let old = tymon_token(json!(1), "aB3dE5gH7jK9mN1p", &prv(), OLD_SECRET);
        let refreshed = app.post("/api/refresh").bearer(&old).send();
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        let ours = refreshed.json()["access_token"].as_str().unwrap().to_owned();
        let claims = crate::helpers::claims_of(&ours);
        assert!(claims["sid"].is_string(), "{claims}");
        assert_eq!(claims["sub"], "01900000-0000-7000-8000-0000000000a1");
        assert_eq!(app.get("/api/me").bearer(&ours).send().status, 200);
        app.get("/api/me").bearer(&old).send().assert_error(401, "token_blacklisted");
        app.post("/api/refresh").bearer(&old).send().assert_error(401, "token_blacklisted");
        let counts: (i64, i64) = app.query(|conn| {
            Ok((sessions::table.count().get_result(conn)?, blacklisted_tokens::table.count().get_result(conn)?))
        });
        assert_eq!(counts, (1, 1));
        // Logout of another tymon token blacklists it too.
        let other = tymon_token(json!(1), "another-jti", &prv(), OLD_SECRET);
        assert_eq!(app.post("/api/logout").bearer(&other).send().status, 200);
        app.get("/api/me").bearer(&other).send().assert_error(401, "token_blacklisted");
    }

    fn tymon_tokens_are_refused_after_the_deadline_with_a_wrong_prv_or_secret_or_unknown_sub(backend) {
        let late = TestApp::spawn_with(backend, switching(Utc::now() - chrono::Duration::seconds(1)));
        insert_ann(&late);
        late.get("/api/me").bearer(&tymon_token(json!(1), "j1", &prv(), OLD_SECRET)).send().assert_error(401, "token_invalid");

        let app = TestApp::spawn_with(backend, switching(Utc::now() + chrono::Duration::hours(1)));
        insert_ann(&app);
        let wrong_prv = tymon_token(json!(1), "j2", &sha1_hex(b"App\\Models\\Admin"), OLD_SECRET);
        app.get("/api/me").bearer(&wrong_prv).send().assert_error(401, "token_invalid");
        let wrong_secret = tymon_token(json!(1), "j3", &prv(), "some-other-secret-of-enough-length-0123456789");
        app.get("/api/me").bearer(&wrong_secret).send().assert_error(401, "token_invalid");
        let unknown = tymon_token(json!(99), "j4", &prv(), OLD_SECRET);
        app.get("/api/me").bearer(&unknown).send().assert_error(401, "user_not_found");

        let off = TestApp::spawn(backend);
        insert_ann(&off);
        off.get("/api/me").bearer(&tymon_token(json!(1), "j5", &prv(), OLD_SECRET)).send().assert_error(401, "token_invalid");
    }

    fn a_token_the_laravel_app_had_logged_out_stays_out_after_the_import(backend) {
        let app = TestApp::spawn_with(backend, switching(Utc::now() + chrono::Duration::hours(1)));
        let dir = WorkDir::new();
        let source = laravel_csv(&dir);
        std::fs::write(dir.0.join("blacklist.txt"), "logged-out-jti\n\n").unwrap();
        let (ok, stdout, stderr) = import(&app, &dir, &[&source, "--allow-skips", "--blacklist", "blacklist.txt"]);
        assert!(ok, "{stderr}");
        assert!(stdout.contains("blacklisted 1 tokens of the Laravel app"), "{stdout}");
        let out = tymon_token(json!(1), "logged-out-jti", &prv(), OLD_SECRET);
        app.get("/api/me").bearer(&out).send().assert_error(401, "token_blacklisted");
        app.post("/api/refresh").bearer(&out).send().assert_error(401, "token_blacklisted");
        let live = tymon_token(json!(1), "still-live-jti", &prv(), OLD_SECRET);
        assert_eq!(app.get("/api/me").bearer(&live).send().status, 200);
    }
}

#[test]
fn importing_100_000_csv_rows_into_sqlite_takes_under_a_minute() {
    let app = TestApp::spawn(Backend::Sqlite);
    let dir = WorkDir::new();
    let path = dir.0.join("big.csv");
    let mut text = String::from("id,name,email,password,email_verified_at,created_at,updated_at\n");
    for id in 1..=100_000 {
        text.push_str(&format!("{id},User {id},user{id}@example.com,{LARAVEL_HASH},,2023-05-06 07:08:09,2023-05-06 07:08:09\n"));
    }
    std::fs::write(&path, text).unwrap();
    let started = std::time::Instant::now();
    let (ok, stdout, stderr) = import(&app, &dir, &[&path.display().to_string()]);
    let took = started.elapsed();
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "imported 100000, updated 0, skipped 0");
    assert!(
        stderr.contains("… 10000 of 100000 rows"),
        "a progress line: {stderr}"
    );
    eprintln!(
        "users:import: 100,000 rows in {took:?} ({:.0} rows/s)",
        100_000.0 / took.as_secs_f64()
    );
    assert!(took < std::time::Duration::from_secs(60), "took {took:?}");
}

#[test]
fn a_laravel_postgresql_database_is_imported_by_its_url() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let laravel = crate::helpers::TestDb::create(backend);
    let mut conn = PgConnection::establish(&laravel.url).unwrap();
    diesel::sql_query(
        "CREATE TABLE users (id bigserial primary key, name varchar(255) not null, email varchar(255) \
         not null unique, email_verified_at timestamp(0) without time zone, password varchar(255) not null, \
         remember_token varchar(100), created_at timestamp(0) without time zone, updated_at timestamp(0) without time zone)",
    )
    .execute(&mut conn)
    .unwrap();
    for insert in inserts(ROWS.iter().filter(|row| row.0 != "3")) {
        diesel::sql_query(insert).execute(&mut conn).unwrap();
    }
    let app = TestApp::spawn(backend);
    let dir = WorkDir::new();
    let (ok, stdout, stderr) = import(&app, &dir, &[&laravel.url]);
    assert!(!ok);
    assert_eq!(
        stdout.trim(),
        "imported 2, updated 0, skipped 1",
        "{stderr}"
    );
    assert!(
        !stderr.contains(&laravel.url),
        "the URL is not echoed: {stderr}"
    );
    assert_imported(&app, "");
    assert_eq!(login(&app, "ann@example.com"), 200);
}

/// The query of docs/migrating-from-laravel.md that lists tymon's blacklist in a database cache.
fn guide_blacklist_query() -> String {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/migrating-from-laravel.md"
    ))
    .unwrap();
    let line = guide
        .lines()
        .find(|line| line.trim_start().starts_with("\"SELECT substr(key"))
        .unwrap();
    line.trim()
        .trim_start_matches('"')
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[derive(diesel::QueryableByName)]
struct Jti {
    #[diesel(sql_type = diesel::sql_types::Text)]
    jti: String,
}

#[test]
fn the_guides_blacklist_query_finds_tymons_entries_in_a_database_cache_and_they_stay_out() {
    let dir = WorkDir::new();
    let source = laravel_sqlite(&dir);
    let mut laravel = SqliteConnection::establish(&source).unwrap();
    // Laravel 11's cache table, with tymon's entry for a logged-out token and an unrelated one.
    for statement in [
        "CREATE TABLE cache (key varchar not null primary key, value text not null, expiration integer not null)",
        "INSERT INTO cache VALUES ('laravel_cache_Zq8wLx3rT5vB1nMk', 'a:1:{s:11:\"valid_until\";i:1893456000;}', 1893456000)",
        "INSERT INTO cache VALUES ('laravel_cache_settings', 's:2:\"on\";', 1893456000)",
    ] {
        diesel::sql_query(statement).execute(&mut laravel).unwrap();
    }
    let jtis: Vec<Jti> = diesel::sql_query(format!(
        "WITH t(jti) AS ({}) SELECT jti FROM t",
        guide_blacklist_query()
    ))
    .load(&mut laravel)
    .unwrap();
    let jtis: Vec<String> = jtis.into_iter().map(|row| row.jti).collect();
    assert_eq!(jtis, ["Zq8wLx3rT5vB1nMk"]);

    let app = TestApp::spawn_with(
        Backend::Sqlite,
        switching(Utc::now() + chrono::Duration::hours(1)),
    );
    std::fs::write(dir.0.join("blacklist.txt"), format!("{}\n", jtis[0])).unwrap();
    let (ok, stdout, stderr) = import(
        &app,
        &dir,
        &[&source, "--allow-skips", "--blacklist", "blacklist.txt"],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("blacklisted 1 tokens"), "{stdout}");
    let out = tymon_token(json!(1), "Zq8wLx3rT5vB1nMk", &prv(), OLD_SECRET);
    app.get("/api/me")
        .bearer(&out)
        .send()
        .assert_error(401, "token_blacklisted");
}
