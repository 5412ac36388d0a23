//! The built-in pages of the mailed links (no SPA_DEMO): the reset form and its answers, the
//! "verified" page, their headers, and that they hold no script.

use diesel::prelude::*;
use jwt_auth_server::schema::password_reset_tokens;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, TestResponse, link_in, query_value};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// A registered user's email and the token of the reset link mailed to it.
fn user_with_reset_token(app: &TestApp) -> (String, String) {
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    app.register(&email, PASSWORD);
    let forgot = app
        .post("/api/forgot-password")
        .json(&json!({ "email": email }))
        .send();
    assert_eq!(forgot.status, 200, "{}", forgot.text);
    let link = link_in(&app.mails(2), "http://spa.test/reset-password?");
    (email, query_value(&link, "token"))
}

/// The value of the hidden field `name` in a page.
fn hidden(page: &TestResponse, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {}", page.text))
        + marker.len();
    page.text[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#43;", "+")
        .replace("&#61;", "=")
}

fn assert_page(page: &TestResponse, status: u16) {
    assert_eq!(page.status, status, "{}", page.text);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(!page.text.contains("<script"), "{}", page.text);
}

fn encoded(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

fn login(app: &TestApp, email: &str, password: &str) -> u16 {
    app.post("/api/login")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .status
}

fn live_tokens(app: &TestApp) -> i64 {
    app.query(|conn| password_reset_tokens::table.count().get_result(conn))
}

api_tests! {
    fn the_mailed_link_opens_a_form_that_resets_the_password(backend) {
        let app = TestApp::spawn(backend);
        let (email, token) = user_with_reset_token(&app);
        let query = encoded(&[("token", &token), ("email", &email)]);
        let form = app.get(&format!("/reset-password?{query}")).send();
        assert_page(&form, 200);
        assert_eq!((hidden(&form, "token"), hidden(&form, "email")), (token.clone(), email.clone()));
        let csrf = hidden(&form, "_token");
        let done = app
            .post("/reset-password")
            .form(&encoded(&[("_token", &csrf), ("token", &token), ("email", &email), ("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)]))
            .send();
        assert_page(&done, 200);
        assert!(done.text.contains("Your password has been reset"), "{}", done.text);
        assert_eq!(live_tokens(&app), 0);
        assert_eq!(login(&app, &email, NEW_PASSWORD), 200);
        assert_eq!(login(&app, &email, PASSWORD), 401);
    }

    fn a_wrong_confirmation_shows_the_form_again_with_the_error_beside_its_field(backend) {
        let app = TestApp::spawn(backend);
        let (email, token) = user_with_reset_token(&app);
        let form = app.get(&format!("/reset-password?{}", encoded(&[("token", &token), ("email", &email)]))).send();
        let csrf = hidden(&form, "_token");
        let again = app
            .post("/reset-password")
            .form(&encoded(&[("_token", &csrf), ("token", &token), ("email", &email), ("password", NEW_PASSWORD), ("password_confirmation", "something else entirely")]))
            .send();
        assert_page(&again, 422);
        // Laravel's `confirmed` rule reports on `password`.
        assert!(again.text.contains("<p class=\"error\" id=\"password-error\">The password field confirmation does not match.</p>"), "{}", again.text);
        assert_eq!(hidden(&again, "_token"), csrf, "the form can be sent again");
        assert_eq!(live_tokens(&app), 1);
        assert_eq!(login(&app, &email, PASSWORD), 200);
    }

    fn a_form_without_its_csrf_field_or_with_a_used_token_changes_nothing(backend) {
        let app = TestApp::spawn(backend);
        let (email, token) = user_with_reset_token(&app);
        let forged = app
            .post("/reset-password")
            .form(&encoded(&[("_token", "forged"), ("token", &token), ("email", &email), ("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)]))
            .send();
        assert_page(&forged, 419);
        assert_eq!(live_tokens(&app), 1);
        let wrong = app.get(&format!("/reset-password?{}", encoded(&[("token", "not-the-token"), ("email", &email)]))).send();
        let refused = app
            .post("/reset-password")
            .form(&encoded(&[("_token", &hidden(&wrong, "_token")), ("token", "not-the-token"), ("email", &email), ("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)]))
            .send();
        assert_page(&refused, 422);
        assert!(refused.text.contains("This password reset token is invalid."), "{}", refused.text);
        assert_eq!(login(&app, &email, PASSWORD), 200);
    }

    fn a_link_cut_short_is_400_and_the_verified_page_and_stylesheet_are_served(backend) {
        let app = TestApp::spawn(backend);
        assert_page(&app.get("/reset-password?email=a%40example.com").send(), 400);
        let verified = app.get("/email-verified").send();
        assert_page(&verified, 200);
        assert!(verified.text.contains("Your email address has been verified."));
        let css = app.get("/pages.css").send();
        assert_eq!((css.status, css.header("content-type")), (200, Some("text/css; charset=utf-8")));
    }

    fn a_value_in_the_link_is_escaped_in_the_page(backend) {
        let app = TestApp::spawn(backend);
        let form = app.get("/reset-password?token=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&email=x%40example.com").send();
        assert_page(&form, 200);
        assert!(form.text.contains("alert(1)") && !form.text.contains("\"><script"), "{}", form.text);
    }
}
