//! Accounts over their whole life (issue 26): roles and custom claims read into every token at
//! issuance (set with the real CLI on the test's own database), and disabled accounts.

use diesel::prelude::*;
use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::OAuthClient;
use jwt_auth_server::schema::{sessions, users};
use serde_json::{Value, json};

use crate::cli::{WorkDir, command};
use crate::helpers::{PASSWORD, SECRET, TestApp, claims_of};
use jwt_auth_server::crypto::sha256_hex;

/// Runs the binary's `args` against `app`'s database: (success, stdout, stderr).
fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let dir = WorkDir::new();
    let env = [
        ("JWT_SECRET", SECRET),
        ("DATABASE_URL", app.config.database_url.as_str()),
    ];
    let output = command(&dir.0, &env).args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Runs the binary's `args` against `app`'s database, which must succeed: its stdout.
pub fn run_cli(app: &TestApp, args: &[&str]) -> String {
    let (ok, stdout, stderr) = cli(app, args);
    assert!(ok, "{args:?}: {stderr}");
    stdout
}

fn refreshed(app: &TestApp, token: &str) -> String {
    let response = app.get("/api/refresh").bearer(token).send();
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["access_token"].as_str().unwrap().to_owned()
}

/// A first-party client of the password grant (secret `s3cret`); its id.
pub fn password_client(app: &TestApp) -> String {
    let id = Id::now_v7();
    app.query(|conn| {
        OAuthClient::create(
            conn,
            &OAuthClient {
                id,
                name: "App".into(),
                secret_hash: Some(sha256_hex(b"s3cret")),
                grant_types: "password refresh_token".into(),
                scopes: "offline_access".into(),
                first_party: true,
                always_issue_refresh_token: true,
                created_at: db::now(),
                redirect_uris: String::new(),
                resources: String::new(),
                skip_consent: false,
                post_logout_redirect_uris: String::new(),
            },
        )
    });
    id.to_string()
}

api_tests! {
    fn a_role_added_and_removed_reaches_the_next_refreshed_token_and_not_the_current_one(backend) {
        let app = TestApp::spawn(backend);
        app.register("ann@example.com", PASSWORD);
        let token = app.login("ann@example.com", PASSWORD);
        assert_eq!(claims_of(&token)["roles"], json!([]), "always there, empty");
        assert_eq!(run_cli(&app, &["user:roles", "ann@example.com", "--add", "editor", "--add", "admin"]).trim(), "roles: admin editor");
        let stored: String = app.query(|conn| users::table.select(users::roles).first(conn));
        assert_eq!(stored, "admin editor");
        assert_eq!(claims_of(&token)["roles"], json!([]), "the current token keeps what it was born with");
        assert_eq!(app.get("/api/me").bearer(&token).send().json()["roles"], json!(["admin", "editor"]));
        let next = refreshed(&app, &token);
        assert_eq!(claims_of(&next)["roles"], json!(["admin", "editor"]));

        run_cli(&app, &["user:claims", "ann@example.com", r#"{"tenant":"acme","plan":{"seats":5}}"#]);
        run_cli(&app, &["user:roles", "ann@example.com", "--remove", "admin"]);
        let after = refreshed(&app, &next);
        let claims = claims_of(&after);
        assert_eq!((&claims["roles"], &claims["tenant"], &claims["plan"]["seats"]), (&json!(["editor"]), &json!("acme"), &json!(5)));
        assert_eq!(app.get("/api/me").bearer(&after).send().status, 200, "a token with custom claims verifies");
        // The OAuth grants read them too.
        let client_id = password_client(&app);
        let oauth = app.token(&[("grant_type", "password"), ("client_id", &client_id), ("client_secret", "s3cret"),
            ("username", "ann@example.com"), ("password", PASSWORD)]);
        assert_eq!(oauth.status, 200, "{}", oauth.text);
        let oauth = oauth.json();
        assert_eq!(claims_of(oauth["access_token"].as_str().unwrap())["tenant"], "acme");
        run_cli(&app, &["user:claims", "ann@example.com", "{}"]);
        run_cli(&app, &["user:roles", "ann@example.com", "--add", "billing"]);
        let renewed = app.token(&[("grant_type", "refresh_token"), ("client_id", &client_id), ("client_secret", "s3cret"),
            ("refresh_token", oauth["refresh_token"].as_str().unwrap())]).json();
        let renewed = claims_of(renewed["access_token"].as_str().unwrap());
        assert_eq!((&renewed["roles"], renewed.get("tenant")), (&json!(["billing", "editor"]), None));
    }

    fn with_now_a_change_ends_every_login_of_the_user(backend) {
        let app = TestApp::spawn(backend);
        app.register("ann@example.com", PASSWORD);
        let (first, second) = (app.login("ann@example.com", PASSWORD), app.login("ann@example.com", PASSWORD));
        let out = run_cli(&app, &["user:roles", "ann@example.com", "--add", "admin", "--now"]);
        assert!(out.contains("sessions ended: 2"), "{out}");
        for token in [&first, &second] {
            app.get("/api/me").bearer(token).send().assert_error(401, "token_blacklisted");
        }
        let reasons: Vec<Option<String>> = app.query(|conn| sessions::table.select(sessions::revoked_reason).load(conn));
        assert_eq!(reasons, vec![Some("account_changed".to_owned()); 2]);
        let fresh = app.login("ann@example.com", PASSWORD);
        assert_eq!(claims_of(&fresh)["roles"], json!(["admin"]));
    }

    fn a_bad_role_a_reserved_claim_and_a_3_kib_object_are_refused_and_change_nothing(backend) {
        let app = TestApp::spawn(backend);
        app.register("ann@example.com", PASSWORD);
        for args in [
            vec!["user:roles", "ann@example.com", "--add", "Admin"],
            vec!["user:claims", "ann@example.com", r#"{"sub":"someone else"}"#],
            vec!["user:claims", "ann@example.com", r#"{"roles":["admin"]}"#],
            vec!["user:claims", "ann@example.com", "[1,2]"],
        ] {
            let (ok, _, stderr) = cli(&app, &args);
            assert!(!ok && !stderr.is_empty(), "{args:?} was accepted");
        }
        let big = json!({ "blob": "x".repeat(3 * 1024) }).to_string();
        let (ok, _, stderr) = cli(&app, &["user:claims", "ann@example.com", &big]);
        assert!(!ok && stderr.contains("2048"), "{stderr}");
        let (ok, _, stderr) = cli(&app, &["user:roles", "nobody@example.com", "--add", "admin"]);
        assert!(!ok && stderr.contains("no user"), "{stderr}");
        let row: (String, String) = app.query(|conn| users::table.select((users::roles, users::claims)).first(conn));
        assert_eq!(row, (String::new(), "{}".to_owned()));
    }

    fn a_disabled_users_tokens_refreshes_grants_and_logins_stop_at_once_on_every_instance(backend) {
        let app = TestApp::spawn(backend);
        let other = app.spawn_beside(|_| {});
        app.register("ann@example.com", PASSWORD);
        let token = app.login("ann@example.com", PASSWORD);
        let client_id = password_client(&app);
        let oauth: Value = app.token(&[("grant_type", "password"), ("client_id", &client_id), ("client_secret", "s3cret"),
            ("username", "ann@example.com"), ("password", PASSWORD)]).json();
        assert_eq!(run_cli(&app, &["user:disable", "ann@example.com"]).trim(), "ann@example.com: disabled");
        let disabled_at: Option<chrono::NaiveDateTime> = app.query(|conn| users::table.select(users::disabled_at).first(conn));
        assert!(disabled_at.is_some());
        for instance in [&app, &other] {
            let refused = instance.get("/api/me").bearer(&token).send();
            refused.assert_error(401, "user_disabled");
            assert_eq!(refused.json()["message"], "This account is disabled.");
            instance.get("/api/me").bearer(oauth["access_token"].as_str().unwrap()).send().assert_error(401, "user_disabled");
        }
        app.get("/api/refresh").bearer(&token).send().assert_error(401, "user_disabled");
        let grant = app.token(&[("grant_type", "refresh_token"), ("client_id", &client_id), ("client_secret", "s3cret"),
            ("refresh_token", oauth["refresh_token"].as_str().unwrap())]);
        assert_eq!(grant.json(), json!({"error": "invalid_grant", "error_description": "account disabled"}));
        let wrong = app.post("/api/login").json(&json!({"email": "ann@example.com", "password": "not the password"})).send();
        wrong.assert_error(401, "invalid_credentials");
        let right = app.post("/api/login").json(&json!({"email": "ann@example.com", "password": PASSWORD})).send();
        assert_eq!(right.status, 403);
        assert_eq!(right.json(), json!({"message": "This account is disabled.", "error": "account_disabled"}));
        let granted = app.token(&[("grant_type", "password"), ("client_id", &client_id), ("client_secret", "s3cret"),
            ("username", "ann@example.com"), ("password", PASSWORD)]);
        assert_eq!(granted.json()["error_description"], "account disabled");
        let open: i64 = app.query(|conn| sessions::table.filter(sessions::revoked_at.is_null()).count().get_result(conn));
        assert_eq!(open, 2, "no new login started");

        run_cli(&app, &["user:enable", "ann@example.com"]);
        assert_eq!(other.get("/api/me").bearer(&token).send().status, 200, "enabled again, the same logins work");
    }
}
