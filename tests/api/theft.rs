//! A stolen token cannot outlast its owner's remedies (issue 21): when the thief refreshes first,
//! the owner's replaced token is evidence of theft at logout, at `DELETE /api/sessions` and, in
//! header mode, at any guarded route — the session ends, with the reuse metric and audit line.

use diesel::prelude::*;
use jwt_auth_server::models::Session;
use jwt_auth_server::schema::sessions;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, TestResponse, audit_lines};

/// An app that serves metrics, with a user logged in on two devices: (app, user id, the owner's
/// token on the stolen device, the owner's other device's token).
fn owner(backend: Backend) -> (TestApp, String, String, String) {
    let app = TestApp::spawn_with(backend, |c| {
        c.metrics_addr = Some("127.0.0.1:0".parse().unwrap())
    });
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    let user = app.register(&email, PASSWORD);
    let stolen = app.login(&email, PASSWORD);
    let other_device = app.login(&email, PASSWORD);
    (
        app,
        user["id"].as_str().unwrap().to_owned(),
        stolen,
        other_device,
    )
}

/// The thief refreshes the stolen token first: the thief's private successor.
fn thief_refreshes(app: &TestApp, stolen: &str) -> String {
    let response = app.post("/api/refresh").bearer(stolen).send();
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["access_token"].as_str().unwrap().to_owned()
}

/// Instead of waiting out JWT_REFRESH_RACE_WINDOW, every refresh is made older.
fn after_the_race_window(app: &TestApp) {
    app.execute("UPDATE blacklisted_tokens SET created_at = '2000-01-01 00:00:00', grace_until = '2000-01-01 00:00:00'");
}

fn all_sessions(app: &TestApp) -> Vec<Session> {
    app.query(|conn| sessions::table.order(sessions::created_at).load(conn))
}

fn reuse_detected(app: &TestApp) -> String {
    let text = app.get_metrics("/metrics").text;
    text.lines()
        .find(|l| l.starts_with("auth_refresh_reuse_detected_total{via=\"api\"}"))
        .unwrap_or("none")
        .to_owned()
}

/// The stolen session ended as a replay, its thief's token is dead, and the reuse was counted
/// and logged for this user.
fn assert_the_thief_is_out(app: &TestApp, user_id: &str, thiefs: &str) {
    app.get("/api/me")
        .bearer(thiefs)
        .send()
        .assert_error(401, "token_blacklisted");
    app.post("/api/refresh")
        .bearer(thiefs)
        .send()
        .assert_error(401, "token_blacklisted");
    assert_eq!(
        all_sessions(app)[0].revoked_reason.as_deref(),
        Some("refresh_reuse")
    );
    assert_eq!(
        reuse_detected(app),
        "auth_refresh_reuse_detected_total{via=\"api\"} 1"
    );
    let lines = audit_lines(user_id);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("event=\"refresh_reuse\"") || l.contains("event=refresh_reuse")),
        "{lines:#?}"
    );
}

api_tests! {
    fn a_thief_who_refreshed_first_is_signed_out_when_the_owner_logs_out(backend) {
        let (app, user_id, stolen, other_device) = owner(backend);
        let thiefs = thief_refreshes(&app, &stolen);
        after_the_race_window(&app);
        let logout = app.post("/api/logout").bearer(&stolen).send();
        assert_eq!((logout.status, logout.json()), (200, json!({ "status": "success", "message": "Successfully logged out" })));
        assert_the_thief_is_out(&app, &user_id, &thiefs);
        assert_eq!(app.get("/api/me").bearer(&other_device).send().status, 200, "only the stolen session ends");
    }

    fn the_owners_logout_everywhere_with_a_replaced_token_ends_every_session(backend) {
        let (app, user_id, stolen, other_device) = owner(backend);
        let thiefs = thief_refreshes(&app, &stolen);
        after_the_race_window(&app);
        assert_eq!(app.get("/api/logout?scope=all").bearer(&stolen).send().status, 200);
        assert_the_thief_is_out(&app, &user_id, &thiefs);
        app.get("/api/me").bearer(&other_device).send().assert_error(401, "token_blacklisted");
        assert!(all_sessions(&app).iter().all(|s| s.revoked_at.is_some()));
    }

    fn a_thief_who_refreshed_first_is_signed_out_by_delete_sessions(backend) {
        let (app, user_id, stolen, other_device) = owner(backend);
        let thiefs = thief_refreshes(&app, &stolen);
        after_the_race_window(&app);
        let ended = app.request("DELETE", "/api/sessions").bearer(&stolen).send();
        // Both of the owner's sessions: the stolen one (as a replay) and the other device's.
        assert_eq!((ended.status, ended.json()), (200, json!({ "status": "success", "revoked": 2 })));
        assert_the_thief_is_out(&app, &user_id, &thiefs);
        app.get("/api/me").bearer(&other_device).send().assert_error(401, "token_blacklisted");
    }

    fn in_header_mode_a_replaced_token_at_any_guarded_route_ends_its_session(backend) {
        let (app, user_id, stolen, other_device) = owner(backend);
        let thiefs = thief_refreshes(&app, &stolen);
        after_the_race_window(&app);
        app.get("/api/me").bearer(&stolen).send().assert_error(401, "token_blacklisted");
        assert_the_thief_is_out(&app, &user_id, &thiefs);
        assert_eq!(app.get("/api/me").bearer(&other_device).send().status, 200);
        // Once ended, a second sighting ends nothing more and counts nothing more.
        app.get("/api/sessions").bearer(&stolen).send().assert_error(401, "token_blacklisted");
        assert_eq!(reuse_detected(&app), "auth_refresh_reuse_detected_total{via=\"api\"} 1");
    }

    fn inside_the_race_window_a_replaced_token_is_refused_at_other_routes_and_nothing_ends(backend) {
        let (app, _, stolen, _) = owner(backend);
        let successor = thief_refreshes(&app, &stolen);
        let answers: Vec<TestResponse> = vec![
            app.get("/api/me").bearer(&stolen).send(),
            app.request("DELETE", "/api/sessions?except=current").bearer(&stolen).send(),
        ];
        for answer in answers {
            answer.assert_error(401, "token_blacklisted");
        }
        assert_eq!(app.get("/api/me").bearer(&successor).send().status, 200);
        assert!(all_sessions(&app).iter().all(|s| s.revoked_at.is_none()));
        assert_eq!(reuse_detected(&app), "none");
    }

    fn with_a_grace_period_a_request_sent_in_it_and_served_just_after_ends_nothing(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.jwt.blacklist_grace_seconds = 30;
            c.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
        });
        let (_, token) = app.user_with_token();
        let successor = thief_refreshes(&app, &token);
        // The grace ended a moment ago; the refresh itself is older than the race window.
        let ago = |seconds: i64| (chrono::Utc::now() - chrono::Duration::seconds(seconds)).naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string();
        app.execute(&format!("UPDATE blacklisted_tokens SET created_at = '{}', grace_until = '{}'", ago(40), ago(1)));
        app.get("/api/me").bearer(&token).send().assert_error(401, "token_blacklisted");
        assert_eq!(app.get("/api/me").bearer(&successor).send().status, 200);
        assert!(all_sessions(&app).iter().all(|s| s.revoked_at.is_none()));
        assert_eq!(reuse_detected(&app), "none");
    }

    fn the_owners_logout_inside_the_race_window_still_ends_the_thiefs_chain(backend) {
        let (app, user_id, stolen, other_device) = owner(backend);
        // The thief refreshed a moment before the owner's next request: inside the window.
        let thiefs = thief_refreshes(&app, &stolen);
        app.get("/api/me").bearer(&stolen).send().assert_error(401, "token_blacklisted");
        assert_eq!(app.get("/api/me").bearer(&thiefs).send().status, 200, "a plain 401 ends nothing");
        // The Axios recipe then logs out with the refused token: that ends the chain.
        assert_eq!(app.post("/api/logout").bearer(&stolen).send().status, 200);
        assert_the_thief_is_out(&app, &user_id, &thiefs);
        assert_eq!(app.get("/api/me").bearer(&other_device).send().status, 200);
    }

    fn a_logged_out_token_stays_401_and_ends_nothing_more(backend) {
        let (app, _, stolen, other_device) = owner(backend);
        assert_eq!(app.post("/api/logout").bearer(&stolen).send().status, 200);
        after_the_race_window(&app);
        app.post("/api/logout").bearer(&stolen).send().assert_error(401, "token_blacklisted");
        app.request("DELETE", "/api/sessions").bearer(&stolen).send().assert_error(401, "token_blacklisted");
        assert_eq!(app.get("/api/me").bearer(&other_device).send().status, 200);
        assert_eq!(reuse_detected(&app), "none");
    }

    fn a_replaced_token_cannot_keep_itself_signed_in_with_except_current(backend) {
        let (app, _, stolen, other_device) = owner(backend);
        let thiefs = thief_refreshes(&app, &stolen);
        after_the_race_window(&app);
        app.request("DELETE", "/api/sessions?except=current").bearer(&stolen)
            .json(&json!({ "current_password": PASSWORD })).send().assert_error(401, "token_blacklisted");
        app.get("/api/me").bearer(&thiefs).send().assert_error(401, "token_blacklisted");
        assert_eq!(app.get("/api/me").bearer(&other_device).send().status, 200);
    }
}
