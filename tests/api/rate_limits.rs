//! Brute-force limits: 429 too_many_requests with Retry-After, per account and per client IP.

use diesel::prelude::*;
use jwt_auth_server::config::RateLimitStore;
use jwt_auth_server::schema::blacklisted_tokens;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, TestResponse};

fn login(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.post("/api/login")
        .json(&json!({ "email": email, "password": password }))
        .send()
}

fn assert_throttled(response: &TestResponse) {
    response.assert_error(429, "too_many_requests");
    let retry: u64 = response
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    // At most the longest window (an hour), or two of them with the shared store, whose fixed
    // windows count the previous one too.
    assert!((1..=7200).contains(&retry), "Retry-After {retry}");
}

api_tests! {
    fn five_failures_lock_an_account_like_an_unknown_one(backend) {
        let app = TestApp::spawn(backend);
        app.register("locked@example.com", PASSWORD);
        for email in ["locked@example.com", "nobody@example.com"] {
            for _ in 0..5 {
                login(&app, email, "wrong password").assert_error(401, "invalid_credentials");
            }
        }
        let known = login(&app, "locked@example.com", PASSWORD);
        let unknown = login(&app, "nobody@example.com", PASSWORD);
        assert_throttled(&known);
        assert_eq!((known.status, known.json()), (unknown.status, unknown.json()), "no enumeration");
        // Another account is not affected.
        app.register("free@example.com", PASSWORD);
        app.login("free@example.com", PASSWORD);
    }

    fn login_attempts_are_limited_per_client_ip(backend) {
        let app = TestApp::spawn_with(backend, |c| c.rate_limit.login_ip_per_minute = 3);
        app.register("ip@example.com", PASSWORD);
        for _ in 0..3 {
            assert_eq!(login(&app, "ip@example.com", PASSWORD).status, 200);
        }
        assert_throttled(&login(&app, "ip@example.com", PASSWORD));
    }

    fn sign_ups_and_refreshes_are_limited_per_client_ip(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.rate_limit.register_ip_per_hour = 2;
            c.rate_limit.refresh_ip_per_5_minutes = 2;
        });
        let (_, mut token) = app.user_with_token();
        app.register("second@example.com", PASSWORD);
        let third = app.post("/api/register").json(&json!({ "name": "N", "email": "third@example.com", "password": PASSWORD })).send();
        assert_throttled(&third);
        for _ in 0..2 {
            let response = app.get("/api/refresh").bearer(&token).send();
            assert_eq!(response.status, 200, "{}", response.text);
            token = response.json()["access_token"].as_str().unwrap().to_owned();
        }
        assert_throttled(&app.get("/api/refresh").bearer(&token).send());
    }

    fn a_refused_refresh_writes_nothing_in_either_store(backend) {
        for store in [RateLimitStore::Memory, RateLimitStore::Database] {
            let app = TestApp::spawn_with(backend, |c| {
                c.rate_limit.refresh_ip_per_5_minutes = 1;
                c.rate_limit.store = Some(store);
            });
            let (_, token) = app.user_with_token();
            let refreshed = app.get("/api/refresh").bearer(&token).send();
            assert_eq!(refreshed.status, 200, "{store:?}: {}", refreshed.text);
            let successor = refreshed.json()["access_token"].as_str().unwrap().to_owned();
            let blacklisted = || app.query(|conn| blacklisted_tokens::table.count().get_result::<i64>(conn));
            assert_eq!(blacklisted(), 1, "{store:?}");
            assert_throttled(&app.get("/api/refresh").bearer(&successor).send());
            assert_eq!(blacklisted(), 1, "{store:?}: the refused refresh blacklisted nothing");
            assert_eq!(app.get("/api/me").bearer(&successor).send().status, 200, "{store:?}");
        }
    }

    fn forwarded_for_counts_only_from_a_trusted_proxy(backend) {
        let limited = |c: &mut jwt_auth_server::config::Config| c.rate_limit.login_ip_per_minute = 1;
        let from = |app: &TestApp, ip: &str| {
            app.post("/api/login")
                .header("X-Forwarded-For", ip)
                .json(&json!({ "email": "x@example.com", "password": "wrong password" }))
                .send()
        };
        let untrusted = TestApp::spawn_with(backend, limited);
        assert_eq!(from(&untrusted, "198.51.100.1").status, 401);
        assert_throttled(&from(&untrusted, "198.51.100.2"));

        let behind_proxy = TestApp::spawn_with(backend, |c| {
            limited(c);
            c.rate_limit.trusted_proxies = vec![jwt_auth_server::config::parse_network("127.0.0.1").unwrap()];
        });
        assert_eq!(from(&behind_proxy, "198.51.100.1").status, 401);
        assert_eq!(from(&behind_proxy, "198.51.100.2").status, 401, "another client");
        assert_throttled(&from(&behind_proxy, "198.51.100.1"));
    }

    fn rate_limits_can_be_switched_off(backend) {
        let app = TestApp::spawn_with(backend, |c| c.rate_limit.enabled = false);
        for _ in 0..8 {
            login(&app, "off@example.com", "wrong password").assert_error(401, "invalid_credentials");
        }
    }
}
