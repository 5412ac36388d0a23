//! What each hot route asks of the database (issue 27, target 4): the statements of `/api/me`,
//! `/api/refresh`, a login without two-factor, and the OAuth refresh grant, counted on both
//! backends (rate limits off: their store's statements are the limits' own), with roles and
//! custom claims read at every issuance. A feature that adds a trip to
//! one of them fails here before a benchmark has to notice.

use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::OAuthClient;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp};
use jwt_auth_server::crypto::sha256_hex;

/// The statements `send` makes the server run, by their first word.
fn statements_of(app: &TestApp, send: impl FnOnce() -> u16) -> Vec<String> {
    app.db.statements().record();
    let status = send();
    let recorded = app.db.statements().recorded();
    assert_eq!(status, 200, "{recorded:?}");
    recorded
}

api_tests! {
    fn the_hot_routes_ask_the_database_a_fixed_few_statements_with_roles_and_claims_read_at_issuance(backend) {
        let app = TestApp::spawn_with(backend, |c| c.rate_limit.enabled = false);
        app.register("ann@example.com", PASSWORD);
        app.execute(r#"UPDATE users SET roles = 'admin editor', claims = '{"tenant":"acme"}'"#);
        let login = || app.post("/api/login").json(&json!({"email": "ann@example.com", "password": PASSWORD})).send();
        let token = login().json()["access_token"].as_str().unwrap().to_owned();
        let me = statements_of(&app, || app.get("/api/me").bearer(&token).send().status);
        assert_eq!(me, ["SELECT"], "/api/me: one query");
        let mut next = String::new();
        let refresh = statements_of(&app, || {
            let response = app.get("/api/refresh").bearer(&token).send();
            next = response.json()["access_token"].as_str().unwrap_or_default().to_owned();
            response.status
        });
        let one_trip: &[&str] = match backend {
            Backend::Sqlite => &["SELECT", "BEGIN", "INSERT", "UPDATE", "COMMIT"],
            // The guard's read and the writes, one statement (models::refresh).
            _ => &["WITH"],
        };
        assert_eq!(refresh, one_trip, "/api/refresh");
        let claims = crate::helpers::claims_of(&next);
        assert_eq!((&claims["roles"], &claims["tenant"]), (&json!(["admin", "editor"]), &json!("acme")));
        let logged_in = statements_of(&app, || login().status);
        // The user by email, then the session in a transaction.
        assert_eq!(logged_in, ["SELECT", "BEGIN", "INSERT", "COMMIT"], "login");
        let client_id = Id::now_v7();
        app.query(|conn| OAuthClient::create(conn, &OAuthClient {
            id: client_id, name: "App".into(), secret_hash: Some(sha256_hex(b"s3cret")), grant_types: "password refresh_token".into(),
            scopes: "offline_access".into(), first_party: true, always_issue_refresh_token: true, created_at: db::now(),
            redirect_uris: String::new(), resources: String::new(), skip_consent: false, post_logout_redirect_uris: String::new(),
        }));
        let client = client_id.to_string();
        let oauth = app.token(&[("grant_type", "password"), ("client_id", &client), ("client_secret", "s3cret"),
            ("username", "ann@example.com"), ("password", PASSWORD)]).json();
        let rotated = statements_of(&app, || app.token(&[("grant_type", "refresh_token"), ("client_id", &client), ("client_secret", "s3cret"),
            ("refresh_token", oauth["refresh_token"].as_str().unwrap())]).status);
        // The client, the token with its session and user, then the rotation.
        assert_eq!(rotated, ["SELECT", "SELECT", "BEGIN", "UPDATE", "UPDATE", "INSERT", "COMMIT"], "refresh grant");
    }
}
