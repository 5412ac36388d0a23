//! GET /metrics on METRICS_ADDR (issue 13): requests by route, logins by outcome, refreshes,
//! logouts and the pool, in the Prometheus text format, naming no user.

use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

/// The value of the sample of `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .find(|line| {
            labels
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

api_tests! {
    fn metrics_count_requests_by_route_and_logins_by_outcome_and_name_no_user(backend) {
        let app = TestApp::spawn_with(backend, |c| c.metrics_addr = Some("127.0.0.1:0".parse().unwrap()));
        let email = "metrics@example.com";
        app.register(email, PASSWORD);
        let token = app.login(email, PASSWORD);
        // An alias, a trailing slash and a percent-encoded letter count under the route's pattern.
        let wrong = app.post("/api/signin/").json(&json!({ "email": email, "password": "wrong password" })).send();
        wrong.assert_error(401, "invalid_credentials");
        let refreshed = app.post("/api/refresh").bearer(&token).send();
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        let fresh = refreshed.json()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/m%65").bearer(&fresh).send().status, 200);
        assert_eq!(app.post("/api/logout").bearer(&fresh).send().status, 200);
        let _phone = app.login(email, PASSWORD);
        let laptop = app.login(email, PASSWORD);
        let ended = app.request("DELETE", "/api/sessions?except=current").bearer(&laptop).json(&json!({ "current_password": PASSWORD })).send();
        assert_eq!((ended.status, ended.json()["revoked"].clone()), (200, json!(1)));
        assert_eq!(app.get("/api/no-such-route").send().status, 404);
        assert_eq!(app.request("PATCH", "/api/me").send().status, 405);
        // Not on the API's listener.
        app.get("/metrics").send().assert_error(404, "not_found");

        let scraped = app.get_metrics("/metrics");
        assert_eq!(scraped.status, 200);
        assert!(scraped.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
        let text = &scraped.text;
        let requests = |route, method, status| {
            sample(text, "http_requests_total", &[("route", route), ("method", method), ("status", status)])
        };
        assert_eq!(requests("/api/register", "POST", "201"), Some(1.0), "{text}");
        assert_eq!(requests("/api/login", "POST", "200"), Some(3.0));
        assert_eq!(requests("/api/login", "POST", "401"), Some(1.0));
        assert_eq!(requests("/api/refresh", "POST", "200"), Some(1.0));
        assert_eq!(requests("/api/me", "GET", "200"), Some(1.0));
        assert_eq!(requests("unmatched", "GET", "404"), Some(2.0), "unknown paths (and /metrics here) share one label");
        assert_eq!(requests("/api/me", "other", "405"), Some(1.0), "methods the API does not use share one label");
        assert_eq!(sample(text, "http_request_duration_seconds_count", &[("route", "/api/login")]), Some(4.0));
        assert_eq!(sample(text, "auth_logins_total", &[("outcome", "success")]), Some(3.0));
        assert_eq!(sample(text, "auth_logins_total", &[("outcome", "failure")]), Some(1.0));
        assert_eq!(sample(text, "auth_refreshes_total", &[("via", "api")]), Some(1.0));
        assert_eq!(sample(text, "auth_logouts_total", &[("scope", "token")]), Some(1.0));
        assert_eq!(sample(text, "auth_sessions_ended_total", &[("how", "sessions_list")]), Some(1.0));
        // Every event also under its audit line's name.
        for (event, count) in [("login", 3.0), ("login_failed", 1.0), ("refresh", 1.0), ("logout", 1.0), ("sessions_ended", 1.0)] {
            assert_eq!(sample(text, "auth_events_total", &[("event", event)]), Some(count), "{event}");
        }
        assert_eq!(sample(text, "db_pool_max_connections", &[]), Some(f64::from(app.config.db_pool_size)));
        assert!(sample(text, "db_pool_connections", &[("state", "open")]).unwrap() >= 1.0);
        assert_eq!(sample(text, "bcrypt_queue_depth", &[]), Some(0.0));
        // register hashes; four logins and "sign out everywhere else" verify.
        assert_eq!(sample(text, "bcrypt_wait_seconds_count", &[]), Some(6.0));
        assert!(sample(text, "db_pool_wait_seconds_count", &[]).unwrap() >= 5.0);
        for secret in [email, PASSWORD, &token, &fresh, &laptop, "metrics%40example.com"] {
            assert!(!text.contains(secret), "the metrics name {secret:?}");
        }
        // The database holds what the flow did: one user, the tokens blacklisted by refresh and
        // logout, and of its three sessions only the laptop's open.
        use jwt_auth_server::schema::{blacklisted_tokens, sessions, users};
        let user_rows: i64 = app.query(|conn| users::table.count().get_result(conn));
        let blacklisted: i64 = app.query(|conn| blacklisted_tokens::table.count().get_result(conn));
        let open: i64 = app.query(|conn| sessions::table.filter(sessions::revoked_at.is_null()).count().get_result(conn));
        assert_eq!((user_rows, blacklisted, open), (1, 2, 1));
        assert_eq!(app.get_metrics("/other").status, 404, "the metrics listener serves /metrics alone");
    }
}
