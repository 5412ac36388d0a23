//! Changing the account's email (issue 26): the link goes to the new address and a notice without
//! one to the old; nothing changes until the link is opened; a newer change replaces a pending
//! one; an address taken meanwhile is refused when the link is opened.

use diesel::prelude::*;
use jwt_auth_server::schema::users;
use serde_json::json;

use crate::helpers::{ISSUER, PASSWORD, TestApp, TestResponse, link_in};

fn change(app: &TestApp, token: &str, email: &str) -> TestResponse {
    app.request("PUT", "/api/user/email")
        .bearer(token)
        .json(&json!({"email": email, "current_password": PASSWORD}))
        .send()
}

/// The path (under the app) of the one change link mailed to `to`.
fn link_to(app: &TestApp, count: usize, to: &str) -> String {
    let mails: Vec<String> = app
        .mails(count)
        .into_iter()
        .filter(|m| m.contains(&format!("To: {to}")))
        .collect();
    link_in(&mails, &format!("{ISSUER}/api/email/change/"))
        .trim_start_matches(ISSUER)
        .to_owned()
}

api_tests! {
    fn the_new_address_takes_over_only_when_its_link_is_opened_and_is_then_verified(backend) {
        let app = TestApp::spawn(backend);
        app.register("ann@example.com", PASSWORD);
        let token = app.login("ann@example.com", PASSWORD);
        let asked = change(&app, &token, " Ann.New@Example.com ");
        assert_eq!(asked.status, 202, "{}", asked.text);
        // The sign-up's verification mail, then the link and the notice.
        let mails = app.mails(3);
        let notice = mails.iter().find(|m| m.contains("To: ann@example.com") && m.contains("Email Address Change Requested")).expect("a notice");
        assert!(!notice.contains("http"), "no link in the notice: {notice}");
        let row: (String, Option<String>) = app.query(|conn| users::table.select((users::email, users::pending_email)).first(conn));
        assert_eq!(row, ("ann@example.com".to_owned(), Some("ann.new@example.com".to_owned())));
        assert!(!app.login("ann@example.com", PASSWORD).is_empty(), "the old address still signs in");

        let link = link_to(&app, 3, "ann.new@example.com");
        let opened = app.get(&link).send();
        assert_eq!(opened.status, 200, "{}", opened.text);
        assert_eq!(opened.json()["email"], "ann.new@example.com");
        assert!(opened.json()["email_verified_at"].is_string());
        let row: (String, Option<String>) = app.query(|conn| users::table.select((users::email, users::pending_email)).first(conn));
        assert_eq!(row, ("ann.new@example.com".to_owned(), None));
        app.get(&link).send().assert_error(403, "invalid_signature");
        let old = app.post("/api/login").json(&json!({"email": "ann@example.com", "password": PASSWORD})).send();
        old.assert_error(401, "invalid_credentials");
        assert_eq!(app.get("/api/me").bearer(&token).send().json()["email"], "ann.new@example.com");
    }

    fn a_newer_change_replaces_the_pending_one_and_a_taken_address_is_refused(backend) {
        let app = TestApp::spawn(backend);
        app.register("ann@example.com", PASSWORD);
        let token = app.login("ann@example.com", PASSWORD);
        assert_eq!(change(&app, &token, "first@example.com").status, 202);
        let first = link_to(&app, 3, "first@example.com");
        assert_eq!(change(&app, &token, "second@example.com").status, 202);
        let second = link_to(&app, 5, "second@example.com");
        app.get(&first).send().assert_error(403, "invalid_signature");
        // Another account takes the address before the link is opened.
        app.register("second@example.com", PASSWORD);
        let taken = app.get(&second).send();
        taken.assert_error(422, "validation_failed");
        assert!(taken.json()["errors"]["email"].is_array());
        let emails: Vec<String> = app.query(|conn| users::table.select(users::email).order(users::created_at).load(conn));
        assert_eq!(emails, ["ann@example.com", "second@example.com"]);
        // Asked for an address taken already, a wrong password, the same address: 422, nothing mailed.
        let before = app.mails(0).len();
        change(&app, &token, "second@example.com").assert_error(422, "validation_failed");
        change(&app, &token, "ann@example.com").assert_error(422, "validation_failed");
        app.request("PUT", "/api/user/email").bearer(&token).json(&json!({"email": "third@example.com", "current_password": "wrong"})).send()
            .assert_error(422, "validation_failed");
        assert_eq!(app.mails(0).len(), before);
        let tampered = second.replace("signature=", "signature=0");
        app.get(&tampered).send().assert_error(403, "invalid_signature");
    }
}
