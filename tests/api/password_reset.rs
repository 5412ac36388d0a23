//! POST /forgot-password and /reset-password: the mailed link, single use, expiry, every session
//! ended, and the same answer for an unknown address.

use diesel::prelude::*;
use jwt_auth_server::crypto::sha256_hex;
use jwt_auth_server::schema::{password_reset_tokens, sessions};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestResponse, link_in, links_in, query_value};

const NEW_PASSWORD: &str = "a brand new passphrase";
const RESET_LINK: &str = "http://spa.test/reset-password?";

fn forgot(app: &TestApp, email: &str) -> TestResponse {
    app.post("/api/forgot-password")
        .json(&json!({ "email": email }))
        .send()
}

fn assert_link_sent(response: &TestResponse) {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json(),
        json!({ "status": "success", "message": "If that address is registered, a reset link has been sent." })
    );
}

fn reset(app: &TestApp, email: &str, token: &str, password: &str) -> TestResponse {
    app.post("/api/reset-password")
        .json(&json!({
            "token": token, "email": email,
            "password": password, "password_confirmation": password,
        }))
        .send()
}

fn assert_invalid_token(response: &TestResponse) {
    response.assert_error(422, "validation_failed");
    assert_eq!(
        response.json()["errors"],
        json!({ "email": ["This password reset token is invalid."] })
    );
}

/// A registered user and the reset link mailed to it (its second mail: the sign-up's
/// verification mail is the first).
fn user_with_reset_link(app: &TestApp) -> (String, String) {
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    app.register(&email, PASSWORD);
    assert_link_sent(&forgot(app, &email));
    let link = link_in(&app.mails(2), RESET_LINK);
    (email, link)
}

fn reset_rows(app: &TestApp) -> Vec<(String, String)> {
    app.query(|conn| {
        password_reset_tokens::table
            .select((password_reset_tokens::email, password_reset_tokens::token))
            .load(conn)
    })
}

fn login(app: &TestApp, email: &str, password: &str) -> u16 {
    app.post("/api/login")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .status
}

api_tests! {
    fn a_reset_link_mailed_before_a_password_change_is_refused_after_it(backend) {
        let app = TestApp::spawn(backend);
        let (email, link) = user_with_reset_link(&app);
        let token = app.login(&email, PASSWORD);
        let changed = app.request("PUT", "/api/password").bearer(&token)
            .json(&json!({ "current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD }))
            .send();
        assert_eq!(changed.status, 200, "{}", changed.text);
        assert!(reset_rows(&app).is_empty(), "the pending token went with the change");
        assert_invalid_token(&reset(&app, &email, &query_value(&link, "token"), "what the thief wanted"));
        assert_eq!(login(&app, &email, NEW_PASSWORD), 200);
        assert_eq!(login(&app, &email, "what the thief wanted"), 401);
    }

    fn forgot_password_mails_a_one_line_link_and_stores_only_the_hash_of_its_token(backend) {
        let app = TestApp::spawn(backend);
        let (email, link) = user_with_reset_link(&app);

        let mails = app.mails(2);
        let mail = mails.iter().find(|m| m.contains(RESET_LINK)).unwrap();
        assert!(mail.contains(&format!("To: {email}")), "{mail}");
        assert!(mail.contains("Subject: Reset Password Notification"), "{mail}");
        assert!(mail.contains("Content-Transfer-Encoding: 7bit"), "{mail}");
        assert_eq!(query_value(&link, "email"), email);
        let token = query_value(&link, "token");
        assert_eq!(token.len(), 43);
        assert_eq!(reset_rows(&app), vec![(email, sha256_hex(token.as_bytes()))]);
    }

    fn an_unknown_address_gets_the_same_answer_and_no_mail(backend) {
        let app = TestApp::spawn_with(backend, |c| c.mail.verify_on_register = false);
        assert_link_sent(&forgot(&app, "nobody@example.com"));
        let email = "somebody@example.com";
        app.register(email, PASSWORD);
        assert_link_sent(&forgot(&app, email));

        // The mail thread works in order: a mail for the unknown address would come first.
        let mails = app.mails(1);
        assert_eq!(mails.len(), 1);
        assert!(mails[0].contains("To: somebody@example.com"), "{}", mails[0]);
        // Both got a token row (the same work for both); the unknown one's token was never sent.
        assert_eq!(reset_rows(&app).len(), 2);
    }

    fn a_missing_or_malformed_email_is_422(backend) {
        let app = TestApp::spawn(backend);
        for body in [json!({}), json!({ "email": "not an email" }), json!({ "email": 42 })] {
            let response = app.post("/api/forgot-password").json(&body).send();
            response.assert_error(422, "validation_failed");
            assert!(response.json()["errors"]["email"].is_array(), "{}", response.text);
        }
        assert!(reset_rows(&app).is_empty());
    }

    fn resetting_changes_the_password_and_ends_every_session_and_token(backend) {
        let app = TestApp::spawn(backend);
        let (email, link) = user_with_reset_link(&app);
        let tokens = [app.login(&email, PASSWORD), app.login(&email, PASSWORD)];

        let response = reset(&app, &email, &query_value(&link, "token"), NEW_PASSWORD);

        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.json(), json!({ "status": "success" }));
        for token in &tokens {
            app.get("/api/me").bearer(token).send().assert_error(401, "token_blacklisted");
        }
        let reasons: Vec<Option<String>> =
            app.query(|conn| sessions::table.select(sessions::revoked_reason).load(conn));
        assert_eq!(reasons, vec![Some("password_reset".to_owned()); 2]);
        assert!(reset_rows(&app).is_empty(), "the token is used up");
        let verified: Option<chrono::NaiveDateTime> = app.query(|conn| {
            jwt_auth_server::schema::users::table
                .select(jwt_auth_server::schema::users::email_verified_at)
                .first(conn)
        });
        assert!(verified.is_some(), "the link came to that inbox: the address is proven too");
        assert_eq!(login(&app, &email, PASSWORD), 401);
        assert_eq!(login(&app, &email, NEW_PASSWORD), 200);
    }

    fn a_reset_token_works_once(backend) {
        let app = TestApp::spawn(backend);
        let (email, link) = user_with_reset_link(&app);
        let token = query_value(&link, "token");
        assert_eq!(reset(&app, &email, &token, NEW_PASSWORD).status, 200);

        assert_invalid_token(&reset(&app, &email, &token, "yet another passphrase"));
        assert_eq!(login(&app, &email, NEW_PASSWORD), 200);
    }

    fn a_new_request_replaces_the_earlier_token(backend) {
        let app = TestApp::spawn(backend);
        let (email, first) = user_with_reset_link(&app);
        assert_link_sent(&forgot(&app, &email));
        let second = links_in(&app.mails(3), RESET_LINK)
            .into_iter()
            .find(|link| *link != first)
            .unwrap();

        assert_invalid_token(&reset(&app, &email, &query_value(&first, "token"), NEW_PASSWORD));
        assert_eq!(reset(&app, &email, &query_value(&second, "token"), NEW_PASSWORD).status, 200);
    }

    fn an_expired_token_is_422_and_changes_nothing(backend) {
        let app = TestApp::spawn(backend);
        let (email, link) = user_with_reset_link(&app);
        // Made 61 minutes ago: PASSWORD_RESET_EXPIRE is 60.
        let made = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(61);
        app.query(|conn| {
            diesel::update(password_reset_tokens::table)
                .set(password_reset_tokens::created_at.eq(made))
                .execute(conn)
        });

        assert_invalid_token(&reset(&app, &email, &query_value(&link, "token"), NEW_PASSWORD));
        assert_eq!(login(&app, &email, PASSWORD), 200);
        assert_eq!(reset_rows(&app).len(), 1);
    }

    fn a_wrong_token_or_address_is_422_and_the_right_one_still_works(backend) {
        let app = TestApp::spawn(backend);
        let (email, link) = user_with_reset_link(&app);
        let token = query_value(&link, "token");

        assert_invalid_token(&reset(&app, &email, "not-the-token", NEW_PASSWORD));
        assert_invalid_token(&reset(&app, "someone.else@example.com", &token, NEW_PASSWORD));
        assert_eq!(reset_rows(&app).len(), 1);
        assert_eq!(reset(&app, &email, &token, NEW_PASSWORD).status, 200);
    }

    fn the_new_password_follows_the_sign_up_rules(backend) {
        let app = TestApp::spawn(backend);
        let (email, link) = user_with_reset_link(&app);
        let token = query_value(&link, "token");

        let short = reset(&app, &email, &token, "short");
        short.assert_error(422, "validation_failed");
        assert!(short.json()["errors"]["password"].is_array(), "{}", short.text);
        let unconfirmed = app
            .post("/api/reset-password")
            .json(&json!({ "token": token, "email": email, "password": NEW_PASSWORD, "password_confirmation": "other" }))
            .send();
        unconfirmed.assert_error(422, "validation_failed");
        let missing = app.post("/api/reset-password").json(&json!({})).send();
        let errors: Value = missing.json()["errors"].clone();
        for field in ["token", "email", "password", "password_confirmation"] {
            assert!(errors[field].is_array(), "{field}: {errors}");
        }
        assert_eq!(reset_rows(&app).len(), 1, "nothing used the token up");
    }

    fn concurrent_requests_for_one_address_leave_one_live_token(backend) {
        let app = std::sync::Arc::new(TestApp::spawn_with(backend, |c| {
            c.mail.verify_on_register = false;
            c.rate_limit.enabled = false;
        }));
        app.register("busy@example.com", PASSWORD);
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (app, barrier) = (app.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    forgot(&app, "busy@example.com")
                })
            })
            .collect();
        for thread in threads {
            assert_link_sent(&thread.join().unwrap());
        }
        assert_eq!(reset_rows(&app).len(), 1);
        // The one live token is the last one mailed: exactly one of the eight links works.
        let links = links_in(&app.mails(8), RESET_LINK);
        assert_eq!(links.len(), 8);
        let working = links
            .iter()
            .filter(|link| {
                let hash = sha256_hex(query_value(link, "token").as_bytes());
                reset_rows(&app)[0].1 == hash
            })
            .count();
        assert_eq!(working, 1);
    }

    fn forgot_password_is_rate_limited_per_address(backend) {
        let app = TestApp::spawn_with(backend, |c| c.mail.verify_on_register = false);
        let email = "limited@example.com";
        app.register(email, PASSWORD);
        for _ in 0..5 {
            assert_link_sent(&forgot(&app, email));
        }
        let refused = forgot(&app, email);
        refused.assert_error(429, "too_many_requests");
        assert!(refused.header("retry-after").is_some());
        // An unknown address is counted the same way, so a 429 tells nothing.
        for _ in 0..5 {
            assert_link_sent(&forgot(&app, "unknown@example.com"));
        }
        forgot(&app, "unknown@example.com").assert_error(429, "too_many_requests");
        // Waits for a sixth that must not come: the unknown address is never mailed.
        assert_eq!(app.mails(6).len(), 5);
    }
}
