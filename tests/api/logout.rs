//! GET|POST /logout[?scope=all].

use diesel::prelude::*;
use jwt_auth_server::models::BlacklistedToken;
use jwt_auth_server::schema::{blacklisted_tokens, users};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, TestResponse};

fn logout(app: &TestApp, token: &str) -> TestResponse {
    app.post("/api/logout").bearer(token).send()
}

fn assert_logged_out(response: &TestResponse) {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json(),
        json!({ "status": "success", "message": "Successfully logged out" })
    );
}

fn new_token(response: &TestResponse) -> String {
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["access_token"].as_str().unwrap().to_owned()
}

api_tests! {
    fn logout_blacklists_the_token(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = app.user_with_token();
        assert_logged_out(&logout(&app, &token));
        app.get("/api/me").bearer(&token).send().assert_error(401, "token_blacklisted");
        app.get("/api/refresh").bearer(&token).send().assert_error(401, "token_blacklisted");
        let rows: Vec<BlacklistedToken> = app.query(|conn| blacklisted_tokens::table.load(conn));
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].in_grace(chrono::Utc::now().naive_utc()));
        assert_eq!(rows[0].successor_jti, None);
    }

    fn every_logout_path_and_method_works(backend) {
        let app = TestApp::spawn(backend);
        for path in ["/api/logout", "/api/auth/logout"] {
            for method in ["GET", "POST"] {
                let (_, token) = app.user_with_token();
                assert_logged_out(&app.request(method, path).bearer(&token).send());
                app.get("/api/me").bearer(&token).send().assert_error(401, "token_blacklisted");
            }
        }
    }

    fn a_second_logout_with_the_same_token_is_401(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = app.user_with_token();
        assert_logged_out(&logout(&app, &token));
        logout(&app, &token).assert_error(401, "token_blacklisted");
    }

    fn logout_accepts_an_expired_token_inside_its_refresh_window(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, _) = app.user_with_token();
        let expired = app.forge(&app.claims(&user_id, 7200, 3600));
        assert_logged_out(&logout(&app, &expired));
        app.get("/api/refresh").bearer(&expired).send().assert_error(401, "token_blacklisted");
    }

    fn logout_everywhere_rejects_every_earlier_token_but_not_a_new_login(backend) {
        let app = TestApp::spawn(backend);
        app.register("all@example.com", PASSWORD);
        let (phone, laptop) = (app.login("all@example.com", PASSWORD), app.login("all@example.com", PASSWORD));
        assert_logged_out(&app.post("/api/logout?scope=all").bearer(&phone).send());
        app.get("/api/me").bearer(&laptop).send().assert_error(401, "token_blacklisted");
        app.get("/api/refresh").bearer(&laptop).send().assert_error(401, "token_blacklisted");
        let cutoff: Option<chrono::NaiveDateTime> =
            app.query(|conn| users::table.select(users::tokens_valid_after).first(conn));
        assert!(cutoff.is_some());

        let fresh = app.login("all@example.com", PASSWORD);
        assert_eq!(app.get("/api/me").bearer(&fresh).send().status, 200);
    }

    fn an_unknown_logout_scope_is_422(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = app.user_with_token();
        let response = app.post("/api/logout?scope=everything").bearer(&token).send();
        response.assert_error(422, "validation_failed");
        assert_eq!(response.json()["errors"], json!({ "scope": ["The selected scope is invalid."] }));
        assert_eq!(app.get("/api/me").bearer(&token).send().status, 200);
    }

    fn logout_with_a_token_in_its_grace_ends_the_session_it_was_refreshed_into(backend) {
        let app = TestApp::spawn_with(backend, |c| c.jwt.blacklist_grace_seconds = 30);
        let (_, old) = app.user_with_token();
        let new = new_token(&app.get("/api/refresh").bearer(&old).send());
        assert_logged_out(&logout(&app, &old));
        app.get("/api/me").bearer(&old).send().assert_error(401, "token_blacklisted");
        app.get("/api/me").bearer(&new).send().assert_error(401, "token_blacklisted");
        app.get("/api/refresh").bearer(&old).send().assert_error(401, "token_blacklisted");
    }

    fn a_logged_out_successor_is_never_handed_out_again(backend) {
        let app = TestApp::spawn_with(backend, |c| c.jwt.blacklist_grace_seconds = 30);
        let (_, old) = app.user_with_token();
        let new = new_token(&app.get("/api/refresh").bearer(&old).send());
        assert_logged_out(&logout(&app, &new));
        app.get("/api/refresh").bearer(&old).send().assert_error(401, "token_blacklisted");
        app.get("/api/me").bearer(&old).send().assert_error(401, "token_blacklisted");
    }
}
