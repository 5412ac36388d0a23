//! Sessions (issue 11): every login is a session the user can list and end; a password change ends
//! the others; a refresh replayed after the race window ends its session.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use jwt_auth_server::models::Session;
use jwt_auth_server::schema::sessions;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestResponse};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Logs `email` in from `user_agent`; the access token.
fn login_from(app: &TestApp, email: &str, user_agent: &str) -> String {
    let response = app
        .post("/api/login")
        .header("User-Agent", user_agent)
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send();
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["access_token"].as_str().unwrap().to_owned()
}

fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/api/sessions").bearer(token).send();
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    response.json()["data"].as_array().unwrap().clone()
}

fn all_sessions(app: &TestApp) -> Vec<Session> {
    app.query(|conn| sessions::table.order(sessions::created_at).load(conn))
}

fn refresh(app: &TestApp, token: &str) -> TestResponse {
    app.get("/api/refresh").bearer(token).send()
}

fn new_token(response: &TestResponse) -> String {
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["access_token"].as_str().unwrap().to_owned()
}

api_tests! {
    fn two_logins_from_two_devices_are_two_sessions_each_current_for_its_own_token(backend) {
        let app = TestApp::spawn(backend);
        app.register("two@example.com", PASSWORD);
        let laptop = login_from(&app, "two@example.com", "Firefox on the laptop");
        let phone = login_from(&app, "two@example.com", &format!("Phone {}", "x".repeat(300)));
        let seen_from_laptop = list(&app, &laptop);
        assert_eq!(seen_from_laptop.len(), 2);
        // Most recently seen first: the phone logged in last.
        assert!(seen_from_laptop[0]["user_agent"].as_str().unwrap().starts_with("Phone "));
        assert_eq!(seen_from_laptop[0]["user_agent"].as_str().unwrap().chars().count(), 255);
        assert_eq!((seen_from_laptop[0]["current"].as_bool(), seen_from_laptop[1]["current"].as_bool()), (Some(false), Some(true)));
        assert_eq!(seen_from_laptop[1]["user_agent"], "Firefox on the laptop");
        assert_eq!(seen_from_laptop[1]["ip"], "127.0.0.1");
        assert_eq!(seen_from_laptop[1]["client_id"], Value::Null);
        for field in ["id", "created_at", "last_seen_at", "expires_at"] {
            assert!(seen_from_laptop[1][field].is_string(), "{field}");
        }
        let seen_from_phone = list(&app, &phone);
        assert_eq!(seen_from_phone[0]["current"], true);
        let rows = all_sessions(&app);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|s| s.revoked_at.is_none() && s.client_id.is_none()));
        // The session lives as long as the login can be refreshed.
        let lifetime = rows[0].expires_at - rows[0].created_at;
        assert_eq!(lifetime, chrono::Duration::minutes(20160));
    }

    fn deleting_another_session_with_the_password_ends_its_tokens_at_once(backend) {
        let app = TestApp::spawn(backend);
        app.register("del@example.com", PASSWORD);
        let mine = login_from(&app, "del@example.com", "mine");
        let other = login_from(&app, "del@example.com", "other");
        let other_id = list(&app, &mine).iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
        let deleted = app.request("DELETE", &format!("/api/sessions/{other_id}")).bearer(&mine)
            .form(&format!("current_password={}", PASSWORD.replace(' ', "+"))).send();
        assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
        app.get("/api/me").bearer(&other).send().assert_error(401, "token_blacklisted");
        refresh(&app, &other).assert_error(401, "token_blacklisted");
        assert_eq!(app.get("/api/me").bearer(&mine).send().status, 200);
        assert_eq!(list(&app, &mine).len(), 1);
        let ended = all_sessions(&app).into_iter().find(|s| s.id.to_string() == other_id).unwrap();
        assert_eq!(ended.revoked_reason.as_deref(), Some("deleted"));
        // Ending it again is the same 404 as an unknown session.
        app.request("DELETE", &format!("/api/auth/sessions/{other_id}")).bearer(&mine)
            .json(&json!({ "current_password": PASSWORD })).send().assert_error(404, "not_found");
    }

    fn deleting_another_session_without_or_with_a_wrong_password_ends_nothing(backend) {
        let app = TestApp::spawn(backend);
        app.register("thief@example.com", PASSWORD);
        let stolen = login_from(&app, "thief@example.com", "the thief's copy");
        let owners = login_from(&app, "thief@example.com", "the owner's new login");
        let owners_id = list(&app, &owners).iter().find(|s| s["current"] == true).unwrap()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/sessions/{owners_id}");
        let missing = app.request("DELETE", &path).bearer(&stolen).send();
        missing.assert_error(422, "validation_failed");
        assert_eq!(missing.json()["errors"]["current_password"][0], "The current password field is required.");
        let wrong = app.request("DELETE", &path).bearer(&stolen).json(&json!({ "current_password": "a guess" })).send();
        wrong.assert_error(422, "validation_failed");
        assert_eq!(wrong.json()["errors"]["current_password"][0], "The password is incorrect.");
        let others = app.request("DELETE", "/api/sessions?except=current").bearer(&stolen).send();
        assert_eq!(others.json()["errors"]["current_password"][0], "The current password field is required.", "{}", others.text);
        assert!(all_sessions(&app).iter().all(|s| s.revoked_at.is_none()));
        assert_eq!(app.get("/api/me").bearer(&owners).send().status, 200);
        // The caller's own session needs no password.
        let own_id = list(&app, &stolen).iter().find(|s| s["current"] == true).unwrap()["id"].as_str().unwrap().to_owned();
        assert_eq!(app.request("DELETE", &format!("/api/sessions/{own_id}")).bearer(&stolen).send().status, 204);
        app.get("/api/me").bearer(&stolen).send().assert_error(401, "token_blacklisted");
    }

    fn another_users_session_or_an_unknown_id_is_404_and_nothing_ends(backend) {
        let app = TestApp::spawn(backend);
        app.register("victim@example.com", PASSWORD);
        app.register("mallory@example.com", PASSWORD);
        let victim = login_from(&app, "victim@example.com", "victim");
        let mallory = login_from(&app, "mallory@example.com", "mallory");
        let victims_session = list(&app, &victim)[0]["id"].as_str().unwrap().to_owned();
        for id in [victims_session.as_str(), "01900000-0000-7000-8000-000000000001", "not-a-uuid"] {
            let response = app.request("DELETE", &format!("/api/sessions/{id}")).bearer(&mallory)
                .json(&json!({ "current_password": PASSWORD })).send();
            response.assert_error(404, "not_found");
            assert_eq!(response.json()["message"], "Session not found");
        }
        assert!(all_sessions(&app).iter().all(|s| s.revoked_at.is_none()));
        assert_eq!(app.get("/api/me").bearer(&victim).send().status, 200);
    }

    fn except_current_ends_every_other_session_and_renews_the_callers(backend) {
        let app = TestApp::spawn(backend);
        app.register("many@example.com", PASSWORD);
        let mine = login_from(&app, "many@example.com", "mine");
        let others = [login_from(&app, "many@example.com", "a"), login_from(&app, "many@example.com", "b")];
        app.request("DELETE", "/api/sessions?except=everyone").bearer(&mine).send().assert_error(422, "validation_failed");
        let response = app.request("DELETE", "/api/sessions?except=current").header("User-Agent", "mine")
            .bearer(&mine).json(&json!({ "current_password": PASSWORD })).send();
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let body = response.json();
        assert_eq!((&body["status"], &body["revoked"], &body["token_type"], &body["expires_in"]), (&json!("success"), &json!(2), &json!("bearer"), &json!(3600)));
        let renewed = body["access_token"].as_str().unwrap().to_owned();
        for old in others.iter().chain([&mine]) {
            app.get("/api/me").bearer(old).send().assert_error(401, "token_blacklisted");
            refresh(&app, old).assert_error(401, "token_blacklisted");
        }
        let listed = list(&app, &renewed);
        assert_eq!(listed.len(), 1);
        assert_eq!((&listed[0]["current"], &listed[0]["user_agent"]), (&json!(true), &json!("mine")));
        let reasons: Vec<Option<String>> = all_sessions(&app).into_iter().map(|s| s.revoked_reason).collect();
        assert_eq!(reasons, [Some("renewed".into()), Some("deleted".into()), Some("deleted".into()), None]);
        // Without `except`, the caller's session ends too (logout?scope=all), and no password is asked.
        let everything = app.request("DELETE", "/api/sessions").bearer(&renewed).send();
        assert_eq!(everything.json(), json!({ "status": "success", "revoked": 1 }));
        app.get("/api/me").bearer(&renewed).send().assert_error(401, "token_blacklisted");
        assert!(all_sessions(&app).iter().all(|s| s.revoked_at.is_some()));
    }

    fn a_password_change_ends_the_other_sessions_and_renews_the_callers(backend) {
        let app = TestApp::spawn(backend);
        app.register("pw@example.com", PASSWORD);
        let mine = login_from(&app, "pw@example.com", "mine");
        let copy_of_mine = mine.clone();
        let other = login_from(&app, "pw@example.com", "other");
        let change = |current: &str, confirmation: &str| {
            app.request("PUT", "/api/password").bearer(&mine).header("User-Agent", "mine")
                .json(&json!({ "current_password": current, "password": NEW_PASSWORD, "password_confirmation": confirmation }))
                .send()
        };
        let wrong = change("not my password", NEW_PASSWORD);
        wrong.assert_error(422, "validation_failed");
        assert_eq!(wrong.json()["errors"]["current_password"][0], "The password is incorrect.");
        let unconfirmed = change(PASSWORD, "something else");
        assert_eq!(unconfirmed.json()["errors"]["password"][0], "The password field confirmation does not match.");
        let missing = app.request("PUT", "/api/password").bearer(&mine).json(&json!({ "current_password": PASSWORD, "password": NEW_PASSWORD })).send();
        assert!(missing.json()["errors"]["password_confirmation"].is_array(), "{}", missing.text);
        let changed = change(PASSWORD, NEW_PASSWORD);
        assert_eq!(changed.status, 200, "{}", changed.text);
        let body = changed.json();
        assert_eq!((&body["status"], &body["token_type"], &body["expires_in"]), (&json!("success"), &json!("bearer"), &json!(3600)));
        assert!(body.get("revoked").is_none(), "{body}");
        let renewed = body["access_token"].as_str().unwrap().to_owned();
        for old in [&other, &mine, &copy_of_mine] {
            app.get("/api/me").bearer(old).send().assert_error(401, "token_blacklisted");
            refresh(&app, old).assert_error(401, "token_blacklisted");
        }
        assert_eq!(app.get("/api/me").bearer(&renewed).send().status, 200);
        let listed = list(&app, &renewed);
        assert_eq!((listed.len(), &listed[0]["current"], &listed[0]["user_agent"]), (1, &json!(true), &json!("mine")));
        app.post("/api/login").json(&json!({ "email": "pw@example.com", "password": PASSWORD })).send().assert_error(401, "invalid_credentials");
        assert_eq!(app.post("/api/login").json(&json!({ "email": "pw@example.com", "password": NEW_PASSWORD })).send().status, 200);
        let reasons: Vec<Option<String>> = all_sessions(&app).into_iter().map(|s| s.revoked_reason).collect();
        assert_eq!(reasons, [Some("renewed".into()), Some("password_changed".into()), None, None]);
    }

    fn wrong_current_passwords_are_limited_like_failed_logins(backend) {
        let app = TestApp::spawn(backend);
        app.register("guess@example.com", PASSWORD);
        let token = login_from(&app, "guess@example.com", "thief");
        let guess = || app.request("PUT", "/api/password").bearer(&token)
            .json(&json!({ "current_password": "a wrong guess", "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD }))
            .send();
        for _ in 0..5 {
            guess().assert_error(422, "validation_failed");
        }
        guess().assert_error(429, "too_many_requests");
    }

    fn a_refresh_replayed_after_the_race_window_ends_the_whole_session(backend) {
        let app = TestApp::spawn(backend);
        app.register("replay@example.com", PASSWORD);
        let stolen = login_from(&app, "replay@example.com", "victim");
        let thiefs = new_token(&refresh(&app, &stolen));
        let next = new_token(&refresh(&app, &thiefs));
        // Instead of waiting out the 10 s window, the refresh is made older.
        app.execute("UPDATE blacklisted_tokens SET created_at = '2000-01-01 00:00:00', grace_until = '2000-01-01 00:00:00'");
        refresh(&app, &stolen).assert_error(401, "token_blacklisted");
        app.get("/api/me").bearer(&next).send().assert_error(401, "token_blacklisted");
        refresh(&app, &next).assert_error(401, "token_blacklisted");
        let session = &all_sessions(&app)[0];
        assert_eq!(session.revoked_reason.as_deref(), Some("refresh_reuse"));
    }

    fn concurrent_refreshes_inside_the_race_window_have_one_winner_whose_token_keeps_working(backend) {
        let app = Arc::new(TestApp::spawn(backend));
        app.register("tabs@example.com", PASSWORD);
        let token = login_from(&app, "tabs@example.com", "two tabs");
        let barrier = Arc::new(Barrier::new(6));
        let tabs: Vec<_> = (0..6)
            .map(|_| {
                let (app, barrier, token) = (app.clone(), barrier.clone(), token.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    refresh(&app, &token)
                })
            })
            .collect();
        let answers: Vec<TestResponse> = tabs.into_iter().map(|t| t.join().unwrap()).collect();
        let winners: Vec<&TestResponse> = answers.iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "{answers:?}");
        for loser in answers.iter().filter(|r| r.status != 200) {
            loser.assert_error(401, "token_blacklisted");
        }
        // A late tab inside the window: refused, and the session stays.
        refresh(&app, &token).assert_error(401, "token_blacklisted");
        let winner = new_token(winners[0]);
        assert_eq!(app.get("/api/me").bearer(&winner).send().status, 200);
        assert!(all_sessions(&app)[0].revoked_at.is_none());
    }

    fn a_replay_inside_the_grace_period_gets_the_same_successor(backend) {
        let app = TestApp::spawn_with(backend, |c| c.jwt.blacklist_grace_seconds = 30);
        app.register("grace@example.com", PASSWORD);
        let token = login_from(&app, "grace@example.com", "grace");
        let first = new_token(&refresh(&app, &token));
        let again = new_token(&refresh(&app, &token));
        assert_eq!(first, again);
        assert_eq!(app.get("/api/me").bearer(&first).send().status, 200);
    }

    fn logout_ends_the_callers_session_only(backend) {
        let app = TestApp::spawn(backend);
        app.register("out@example.com", PASSWORD);
        let mine = login_from(&app, "out@example.com", "mine");
        let other = login_from(&app, "out@example.com", "other");
        let refreshed = new_token(&refresh(&app, &mine));
        assert_eq!(app.post("/api/logout").bearer(&refreshed).send().status, 200);
        app.get("/api/me").bearer(&refreshed).send().assert_error(401, "token_blacklisted");
        assert_eq!(app.get("/api/me").bearer(&other).send().status, 200);
        let reasons: Vec<Option<String>> = all_sessions(&app).into_iter().map(|s| s.revoked_reason).collect();
        assert_eq!(reasons, [Some("logout".into()), None]);
    }

    fn me_costs_one_select_while_last_seen_is_fresh_and_moves_it_once_a_minute(backend) {
        let app = TestApp::spawn(backend);
        app.register("count@example.com", PASSWORD);
        let token = login_from(&app, "count@example.com", "counted");
        app.db.statements().record();
        assert_eq!(app.get("/api/me").bearer(&token).send().status, 200);
        assert_eq!(app.db.statements().recorded(), ["SELECT"]);
        app.execute("UPDATE sessions SET last_seen_at = '2000-01-01 00:00:00'");
        app.db.statements().record();
        assert_eq!(app.get("/api/me").bearer(&token).send().status, 200);
        assert_eq!(app.db.statements().recorded(), ["SELECT", "UPDATE"]);
        let seen = all_sessions(&app)[0].last_seen_at;
        assert!(seen > chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1), "{seen}");
        app.db.statements().record();
        assert_eq!(app.get("/api/me").bearer(&token).send().status, 200);
        assert_eq!(app.db.statements().recorded(), ["SELECT"], "fresh again");
    }

    fn a_refresh_reads_its_token_and_writes_in_one_statement_on_postgres(backend) {
        let app = TestApp::spawn(backend);
        app.register("trip@example.com", PASSWORD);
        let token = login_from(&app, "trip@example.com", "trip");
        app.db.statements().record();
        let successor = new_token(&refresh(&app, &token));
        let expected: &[&str] = match backend {
            crate::helpers::Backend::Postgres => &["WITH"],
            crate::helpers::Backend::Sqlite => &["SELECT", "BEGIN", "INSERT", "UPDATE", "COMMIT"],
        };
        assert_eq!(app.db.statements().recorded(), expected);
        assert_eq!(app.get("/api/me").bearer(&successor).send().status, 200);
        app.get("/api/me").bearer(&token).send().assert_error(401, "token_blacklisted");
    }

    fn a_refresh_always_moves_last_seen(backend) {
        let app = TestApp::spawn(backend);
        app.register("seen@example.com", PASSWORD);
        let token = login_from(&app, "seen@example.com", "seen");
        app.execute("UPDATE sessions SET last_seen_at = '2000-01-01 00:00:00'");
        new_token(&refresh(&app, &token));
        let seen = all_sessions(&app)[0].last_seen_at;
        assert!(seen > chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1), "{seen}");
    }

    fn tokens_from_before_sessions_keep_todays_rules(backend) {
        let app = TestApp::spawn(backend);
        let user = app.register("legacy@example.com", PASSWORD);
        let claims = app.claims(user["id"].as_str().unwrap(), 0, 3600);
        let legacy = app.forge(&claims);
        assert_eq!(app.get("/api/me").bearer(&legacy).send().status, 200);
        let successor = new_token(&refresh(&app, &legacy));
        assert!(crate::helpers::claims_of(&successor).get("sid").is_none());
        assert_eq!(app.post("/api/logout?scope=all").bearer(&successor).send().status, 200);
        app.get("/api/me").bearer(&successor).send().assert_error(401, "token_blacklisted");
    }

    fn a_logout_with_an_old_token_from_before_sessions_ends_what_it_was_refreshed_into(backend) {
        let app = TestApp::spawn_with(backend, |c| c.jwt.blacklist_grace_seconds = 30);
        let user = app.register("chain@example.com", PASSWORD);
        let old = app.forge(&app.claims(user["id"].as_str().unwrap(), 0, 3600));
        let successor = new_token(&refresh(&app, &old));
        assert_eq!(app.post("/api/logout").bearer(&old).send().status, 200);
        app.get("/api/me").bearer(&successor).send().assert_error(401, "token_blacklisted");
    }

    fn prune_removes_sessions_that_ended_more_than_a_refresh_window_ago(backend) {
        let app = TestApp::spawn(backend);
        app.register("prune@example.com", PASSWORD);
        login_from(&app, "prune@example.com", "kept");
        let ended = login_from(&app, "prune@example.com", "ended long ago");
        assert_eq!(app.post("/api/logout").bearer(&ended).send().status, 200);
        app.execute("UPDATE sessions SET revoked_at = '2000-01-01 00:00:00' WHERE revoked_at IS NOT NULL");
        let pruned = app.query(|conn| jwt_auth_server::maintenance::prune(conn, &app.config));
        assert_eq!(pruned.sessions, 1);
        let left: Vec<Option<String>> = all_sessions(&app).into_iter().map(|s| s.user_agent).collect();
        assert_eq!(left, [Some("kept".to_owned())]);
    }
}
