//! The account's own end of its life (issue 26): the profile's name, deleting the account with
//! every row of it (through the API and the CLI), and the export of everything kept about it.

use diesel::prelude::*;
use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::Consent;
use jwt_auth_server::schema::{
    blacklisted_tokens, oauth_consents, oauth_refresh_tokens, password_reset_tokens, sessions,
    users,
};
use serde_json::json;

use crate::accounts::{password_client, run_cli};
use crate::helpers::{PASSWORD, TestApp, audit_lines};

const EMAIL: &str = "ann@example.com";

/// Rows of `user_id` in each table that keeps something of a user.
fn rows_of(app: &TestApp, user_id: Id) -> [i64; 6] {
    app.query(|conn| {
        Ok([
            users::table
                .filter(users::id.eq(user_id))
                .count()
                .get_result(conn)?,
            sessions::table
                .filter(sessions::user_id.eq(user_id))
                .count()
                .get_result(conn)?,
            oauth_refresh_tokens::table
                .inner_join(sessions::table)
                .filter(sessions::user_id.eq(user_id))
                .count()
                .get_result(conn)?,
            blacklisted_tokens::table
                .filter(blacklisted_tokens::user_id.eq(user_id))
                .count()
                .get_result(conn)?,
            oauth_consents::table
                .filter(oauth_consents::user_id.eq(user_id))
                .count()
                .get_result(conn)?,
            password_reset_tokens::table
                .filter(password_reset_tokens::email.eq(EMAIL))
                .count()
                .get_result(conn)?,
        ])
    })
}

/// A user with a bit of everything: two logins (one refreshed), an OAuth login with its refresh
/// token, a consent and a pending reset token. (user id, API token, OAuth answer, client id).
fn a_full_account(app: &TestApp) -> (Id, String, serde_json::Value, String) {
    let user = app.register(EMAIL, PASSWORD);
    let user_id: Id = serde_json::from_value(user["id"].clone()).unwrap();
    let first = app.login(EMAIL, PASSWORD);
    app.get("/api/refresh").bearer(&first).send();
    let token = app.login(EMAIL, PASSWORD);
    let client_id: Id = serde_json::from_value(password_client(app).into()).unwrap();
    app.query(|conn| {
        Consent::remember(
            conn,
            &Consent {
                user_id,
                client_id,
                scopes: "offline_access".into(),
                created_at: db::now(),
            },
        )
    });
    let oauth = app
        .token(&[
            ("grant_type", "password"),
            ("client_id", &client_id.to_string()),
            ("client_secret", "s3cret"),
            ("username", EMAIL),
            ("password", PASSWORD),
        ])
        .json();
    assert_eq!(
        app.post("/api/forgot-password")
            .json(&json!({"email": EMAIL}))
            .send()
            .status,
        200
    );
    (user_id, token, oauth, client_id.to_string())
}

api_tests! {
    fn deleting_my_account_removes_every_row_ends_every_token_and_frees_the_email(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, token, oauth, client_id) = a_full_account(&app);
        assert_eq!(rows_of(&app, user_id), [1, 3, 1, 1, 1, 1]);
        let wrong = app.request("DELETE", "/api/user").bearer(&token).json(&json!({"current_password": "not it"})).send();
        wrong.assert_error(422, "validation_failed");
        assert_eq!(rows_of(&app, user_id), [1, 3, 1, 1, 1, 1], "a wrong password deletes nothing");
        let access = oauth["access_token"].as_str().unwrap();
        app.request("DELETE", "/api/user").bearer(access).json(&json!({"current_password": PASSWORD})).send()
            .assert_error(401, "token_invalid");

        let deleted = app.request("DELETE", "/api/user").bearer(&token).json(&json!({"current_password": PASSWORD})).send();
        assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
        assert_eq!(rows_of(&app, user_id), [0; 6]);
        app.get("/api/me").bearer(&token).send().assert_error(401, "user_not_found");
        app.get("/api/me").bearer(access).send().assert_error(401, "user_not_found");
        let refreshed = app.token(&[("grant_type", "refresh_token"), ("client_id", &client_id), ("client_secret", "s3cret"),
            ("refresh_token", oauth["refresh_token"].as_str().unwrap())]);
        assert_eq!(refreshed.json()["error"], "invalid_grant");
        let lines = audit_lines(&user_id.to_string());
        let line = lines.iter().find(|l| l.contains("\"account_deleted\"")).expect("an audit line");
        assert!(!line.contains(EMAIL) && !line.contains("Test User"), "ids only: {line}");
        let again = app.register(EMAIL, PASSWORD);
        assert_ne!(again["id"], user_id.to_string(), "a new account, a new id");
    }

    fn user_delete_on_the_cli_deletes_the_same_rows(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, token, _, _) = a_full_account(&app);
        assert_eq!(run_cli(&app, &["user:delete", EMAIL]).trim(), format!("deleted: {EMAIL}"));
        assert_eq!(rows_of(&app, user_id), [0; 6]);
        app.get("/api/me").bearer(&token).send().assert_error(401, "user_not_found");
    }

    fn the_export_is_an_attachment_of_the_profile_sessions_and_consents_without_any_secret(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, token, _, client_id) = a_full_account(&app);
        let export = app.get("/api/user/export").bearer(&token).header("User-Agent", "ExportTest/1").send();
        assert_eq!(export.status, 200, "{}", export.text);
        assert_eq!(export.header("content-disposition"), Some("attachment; filename=\"account.json\""));
        let body = export.json();
        assert_eq!(body["user"]["id"], user_id.to_string());
        assert_eq!((&body["claims"], &body["two_factor"]["enabled"]), (&json!({}), &json!(false)));
        assert_eq!(body["sessions"].as_array().unwrap().len(), 3);
        assert!(body["sessions"][0]["ip"].is_string(), "{body}");
        assert_eq!(body["consents"][0]["client_id"], client_id);
        let hash: String = app.query(|conn| users::table.find(user_id).select(users::password).first(conn));
        for secret in [hash.as_str(), "$2", "password", "secret", "token_hash"] {
            assert!(!export.text.contains(secret), "{secret} in the export");
        }
    }

    fn the_profile_changes_its_name_by_the_sign_ups_rule(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = app.user_with_token();
        let changed = app.request("PUT", "/api/user/profile-information").bearer(&token).json(&json!({"name": "  Ann Lee "})).send();
        assert_eq!(changed.status, 200, "{}", changed.text);
        assert_eq!(changed.json()["name"], "Ann Lee");
        let stored: String = app.query(|conn| users::table.select(users::name).first(conn));
        assert_eq!(stored, "Ann Lee");
        for name in [json!("x".repeat(101)), json!("line\nbreak"), json!(""), json!(5)] {
            app.request("PUT", "/api/user/profile-information").bearer(&token).json(&json!({"name": name})).send()
                .assert_error(422, "validation_failed");
        }
    }
}
