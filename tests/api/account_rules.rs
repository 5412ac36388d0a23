//! The owner's rules around the account (issue 21): what an OAuth token may not do, two changes
//! at once, and the events a wrong current password and an OAuth replay leave behind.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use jwt_auth_server::audit::email_digest;
use jwt_auth_server::crypto::AppKey;
use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::{OAuthClient, Session};
use jwt_auth_server::schema::sessions;
use serde_json::json;

use crate::helpers::{APP_KEY, PASSWORD, TestApp, TestResponse, audit_lines};

const NEW_PASSWORD: &str = "a brand new passphrase";

fn with_metrics(backend: crate::helpers::Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.metrics_addr = Some("127.0.0.1:0".parse().unwrap())
    })
}

/// The value of the sample line that starts with `prefix`, if any.
fn sample(app: &TestApp, prefix: &str) -> Option<String> {
    let text = app.get_metrics("/metrics").text;
    text.lines()
        .find(|l| l.starts_with(prefix))
        .map(|l| l.rsplit(' ').next().unwrap().to_owned())
}

/// A public first-party client with the password grant and offline_access; its id.
fn public_client(app: &TestApp) -> String {
    let id = Id::now_v7();
    let client = OAuthClient {
        id,
        name: "first party app".into(),
        secret_hash: None,
        grant_types: "password refresh_token".into(),
        scopes: "offline_access".into(),
        first_party: true,
        always_issue_refresh_token: true,
        created_at: db::now(),
        redirect_uris: String::new(),
        resources: "https://orders.example".into(),
        skip_consent: false,
        post_logout_redirect_uris: String::new(),
    };
    app.query(|conn| OAuthClient::create(conn, &client));
    id.to_string()
}

fn oauth(app: &TestApp, params: &[(&str, &str)]) -> TestResponse {
    app.post("/oauth/token")
        .form(&serde_urlencoded::to_string(params).unwrap())
        .send()
}

fn change_password(app: &TestApp, token: &str, current: &str) -> TestResponse {
    app.request("PUT", "/api/password").bearer(token)
        .json(&json!({ "current_password": current, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD }))
        .send()
}

api_tests! {
    fn an_oauth_access_token_cannot_change_the_password_or_end_sessions(backend) {
        let app = TestApp::spawn(backend);
        let user = app.register("app@example.com", PASSWORD);
        let client = public_client(&app);
        let granted = oauth(&app, &[("grant_type", "password"), ("client_id", &client), ("username", "app@example.com"), ("password", PASSWORD)]);
        assert_eq!(granted.status, 200, "{}", granted.text);
        let access = granted.json()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/me").bearer(&access).send().json()["id"], user["id"], "it still reads the user");
        change_password(&app, &access, PASSWORD).assert_error(401, "token_invalid");
        app.request("DELETE", "/api/sessions").bearer(&access).send().assert_error(401, "token_invalid");
        app.request("DELETE", "/api/sessions?except=current").bearer(&access)
            .json(&json!({ "current_password": PASSWORD })).send().assert_error(401, "token_invalid");
        let open: Vec<Session> = app.query(|conn| sessions::table.filter(sessions::revoked_at.is_null()).load(conn));
        assert_eq!(open.len(), 1, "nothing ended");
        assert_eq!(app.post("/api/login").json(&json!({ "email": "app@example.com", "password": PASSWORD })).send().status, 200);
    }

    fn of_two_password_changes_at_once_one_wins_and_one_renewed_session_is_left(backend) {
        let app = Arc::new(TestApp::spawn(backend));
        app.register("twice@example.com", PASSWORD);
        let token = app.login("twice@example.com", PASSWORD);
        let barrier = Arc::new(Barrier::new(2));
        let clicks: Vec<_> = (0..2).map(|_| {
            let (app, barrier, token) = (app.clone(), barrier.clone(), token.clone());
            std::thread::spawn(move || { barrier.wait(); change_password(&app, &token, PASSWORD) })
        }).collect();
        let answers: Vec<TestResponse> = clicks.into_iter().map(|c| c.join().unwrap()).collect();
        let winners: Vec<&TestResponse> = answers.iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "{answers:?}");
        let loser = answers.iter().find(|r| r.status != 200).unwrap();
        assert!(matches!(loser.status, 401 | 422), "{loser:?}");
        let renewed = winners[0].json()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/me").bearer(&renewed).send().status, 200);
        let open: Vec<Session> = app.query(|conn| sessions::table.filter(sessions::revoked_at.is_null()).load(conn));
        assert_eq!(open.len(), 1, "{open:?}");
    }

    fn a_wrong_current_password_is_counted_and_logged_as_a_failed_login(backend) {
        let app = with_metrics(backend);
        let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
        app.register(&email, PASSWORD);
        let token = app.login(&email, PASSWORD);
        change_password(&app, &token, "not my password").assert_error(422, "validation_failed");
        let other = app.login(&email, PASSWORD);
        let other_id = app.get("/api/sessions").bearer(&token).send().json()["data"].as_array().unwrap()
            .iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
        app.request("DELETE", &format!("/api/sessions/{other_id}")).bearer(&token)
            .json(&json!({ "current_password": "another guess" })).send().assert_error(422, "validation_failed");
        assert_eq!(sample(&app, "auth_logins_total{outcome=\"failure\"}").as_deref(), Some("2"));
        assert_eq!(sample(&app, "auth_events_total{event=\"login_failed\"}").as_deref(), Some("2"));
        let digest = email_digest(&AppKey::parse(APP_KEY).unwrap().subkey("audit email digests"), &email);
        let lines = audit_lines(&digest);
        assert!(lines.iter().any(|l| l.contains("login_failed") && l.contains("password_change")), "{lines:#?}");
        assert!(lines.iter().any(|l| l.contains("login_failed") && l.contains("sessions")), "{lines:#?}");
        assert_eq!(app.get("/api/me").bearer(&other).send().status, 200, "nothing ended");
    }

    fn wrong_passwords_to_end_other_sessions_are_limited_like_failed_logins(backend) {
        let app = TestApp::spawn(backend);
        app.register("limit@example.com", PASSWORD);
        let token = app.login("limit@example.com", PASSWORD);
        let guess = || app.request("DELETE", "/api/sessions?except=current").bearer(&token)
            .json(&json!({ "current_password": "a wrong guess" })).send();
        for _ in 0..5 {
            guess().assert_error(422, "validation_failed");
        }
        guess().assert_error(429, "too_many_requests");
        assert_eq!(app.get("/api/me").bearer(&token).send().status, 200);
    }

    fn an_oauth_refresh_token_replay_is_counted_and_logged_like_its_api_twin(backend) {
        let app = with_metrics(backend);
        let user = app.register("replay@example.com", PASSWORD);
        let client = public_client(&app);
        let granted = oauth(&app, &[("grant_type", "password"), ("client_id", &client), ("username", "replay@example.com"), ("password", PASSWORD)]);
        let first = granted.json()["refresh_token"].as_str().unwrap().to_owned();
        let rotated = oauth(&app, &[("grant_type", "refresh_token"), ("client_id", &client), ("refresh_token", &first)]);
        assert_eq!(rotated.status, 200, "{}", rotated.text);
        let replayed = oauth(&app, &[("grant_type", "refresh_token"), ("client_id", &client), ("refresh_token", &first)]);
        assert_eq!((replayed.status, replayed.json()["error"].as_str()), (400, Some("invalid_grant")));
        assert_eq!(sample(&app, "auth_refresh_reuse_detected_total{via=\"oauth\"}").as_deref(), Some("1"));
        assert_eq!(sample(&app, "auth_events_total{event=\"refresh_reuse\"}").as_deref(), Some("1"));
        let lines = audit_lines(user["id"].as_str().unwrap());
        assert!(lines.iter().any(|l| l.contains("refresh_reuse") && l.contains("oauth")), "{lines:#?}");
        let reasons: Vec<Option<String>> = app.query(|conn| sessions::table.select(sessions::revoked_reason).load(conn));
        assert_eq!(reasons, [Some("refresh_reuse".to_owned())]);
    }
}
