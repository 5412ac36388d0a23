//! The admin API (issue 26): every route with an admin, a non-admin and an admin who has
//! two-factor on but signed in without it; Laravel's paginator shape; the guards that keep an
//! admin from locking themselves out; the audit lines.

use diesel::prelude::*;
use jwt_auth_server::schema::{sessions, users};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, audit_lines, claims_of};

/// A registered user named `name`: (id, token).
fn user(app: &TestApp, email: &str, name: &str) -> (String, String) {
    let registered = app
        .post("/api/register")
        .json(&json!({"name": name, "email": email, "password": PASSWORD}))
        .send();
    assert_eq!(registered.status, 201, "{}", registered.text);
    let id = registered.json()["data"]["id"].as_str().unwrap().to_owned();
    (id, app.login(email, PASSWORD))
}

/// An admin: (id, token).
fn admin(app: &TestApp) -> (String, String) {
    let (id, _) = user(app, "root@example.com", "Root");
    app.execute("UPDATE users SET roles = 'admin' WHERE email = 'root@example.com'");
    (id, app.login("root@example.com", PASSWORD))
}

fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> crate::helpers::TestResponse {
    app.request("PATCH", &format!("/api/admin/users/{id}"))
        .bearer(token)
        .json(&body)
        .send()
}

api_tests! {
    fn an_admin_pages_through_users_by_email_prefix_or_name_in_laravels_shape(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = admin(&app);
        for (email, name) in [("ann@example.com", "Ann Lee"), ("bob@example.com", "Bob Annan"), ("cy@example.com", "Cy")] {
            user(&app, email, name);
        }
        let page = app.get("/api/admin/users?per_page=2").bearer(&token).send();
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(page.header("cache-control"), Some("no-store"));
        let page = page.json();
        let emails: Vec<&str> = page["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
        assert_eq!(emails, ["root@example.com", "ann@example.com"], "oldest first");
        assert_eq!(page["meta"], json!({"current_page": 1, "from": 1, "last_page": 2, "path": "http://localhost/api/admin/users", "per_page": 2, "to": 2, "total": 4}));
        assert_eq!(page["links"]["next"], "http://localhost/api/admin/users?page=2&per_page=2");
        assert_eq!((&page["links"]["prev"], &page["data"][0]["roles"], &page["data"][0]["sessions_count"]), (&Value::Null, &json!(["admin"]), &json!(2)));
        assert!(page["data"][0].get("password").is_none() && page["data"][0].get("two_factor_secret").is_none());
        let second = app.get("/api/admin/users?per_page=2&page=2").bearer(&token).send().json();
        assert_eq!((second["meta"]["from"].as_i64(), second["links"]["next"].is_null()), (Some(3), true));
        let capped = app.get("/api/admin/users?per_page=500").bearer(&token).send().json();
        assert_eq!(capped["meta"]["per_page"], 100);
        // An email prefix, or a part of the name in any case: "ann" finds Ann and Bob Annan.
        let found = app.get("/api/admin/users?search=ANN").bearer(&token).send().json();
        let names: Vec<&str> = found["data"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Ann Lee", "Bob Annan"]);
        assert_eq!(found["links"]["first"], "http://localhost/api/admin/users?page=1&per_page=15&search=ANN");
        let literal = app.get("/api/admin/users?search=%25").bearer(&token).send().json();
        assert_eq!(literal["meta"]["total"], 0, "% is a character, not a wildcard");
        app.get("/api/admin/users?page=two").bearer(&token).send().assert_error(422, "validation_failed");
    }

    fn an_admin_reads_changes_signs_out_and_deletes_a_user_and_each_is_audited(backend) {
        let app = TestApp::spawn(backend);
        let (admin_id, token) = admin(&app);
        let (id, theirs) = user(&app, "ann@example.com", "Ann");
        let shown = app.get(&format!("/api/admin/users/{id}")).bearer(&token).send().json();
        assert_eq!((&shown["roles"], &shown["claims"], &shown["disabled_at"], &shown["sessions_count"]), (&json!([]), &json!({}), &Value::Null, &json!(1)));

        let changed = patch(&app, &token, &id, json!({"name": "Ann Lee", "roles": ["editor"], "claims": {"tenant": "acme"}}));
        assert_eq!(changed.status, 200, "{}", changed.text);
        let changed = changed.json();
        assert_eq!((&changed["name"], &changed["roles"], &changed["claims"]), (&json!("Ann Lee"), &json!(["editor"]), &json!({"tenant": "acme"})));
        let row: (String, String, String) = app.query(|conn| users::table.filter(users::email.eq("ann@example.com")).select((users::name, users::roles, users::claims)).first(conn));
        assert_eq!(row, ("Ann Lee".to_owned(), "editor".to_owned(), r#"{"tenant":"acme"}"#.to_owned()));
        let next = app.get("/api/refresh").bearer(&theirs).send().json();
        let next = next["access_token"].as_str().unwrap().to_owned();
        assert_eq!((&claims_of(&next)["roles"], &claims_of(&next)["tenant"]), (&json!(["editor"]), &json!("acme")));
        let refused = patch(&app, &token, &id, json!({"roles": ["Not A Role"], "claims": {"sub": "x"}, "disabled": "maybe"}));
        refused.assert_error(422, "validation_failed");
        let errors = refused.json()["errors"].clone();
        assert!(errors["roles"].is_array() && errors["claims"].is_array() && errors["disabled"].is_array(), "{errors}");

        let disabled = patch(&app, &token, &id, json!({"disabled": true})).json();
        assert!(disabled["disabled_at"].is_string());
        app.get("/api/me").bearer(&next).send().assert_error(401, "user_disabled");
        patch(&app, &token, &id, json!({"disabled": false}));
        assert_eq!(app.get("/api/me").bearer(&next).send().status, 200);

        let out = app.request("DELETE", &format!("/api/admin/users/{id}/sessions")).bearer(&token).send();
        assert_eq!(out.json(), json!({"status": "success", "revoked": 1}));
        app.get("/api/me").bearer(&next).send().assert_error(401, "token_blacklisted");

        let deleted = app.request("DELETE", &format!("/api/admin/users/{id}")).bearer(&token).send();
        assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
        app.get(&format!("/api/admin/users/{id}")).bearer(&token).send().assert_error(404, "not_found");
        app.request("DELETE", &format!("/api/admin/users/{id}")).bearer(&token).send().assert_error(404, "not_found");
        let left: i64 = app.query(|conn| users::table.filter(users::email.eq("ann@example.com")).count().get_result(conn));
        assert_eq!(left, 0);
        let lines = audit_lines(&id);
        for event in ["\"account_changed\"", "\"account_deleted\""] {
            assert!(lines.iter().any(|l| l.contains(event) && l.contains(&format!("by={admin_id}"))), "{event}: {lines:?}");
        }
        assert!(lines.iter().any(|l| l.contains("what=disabled")) && lines.iter().any(|l| l.contains("what=signed_out")), "{lines:?}");
    }

    fn a_non_admin_and_an_admin_without_the_second_factor_get_403_and_an_admin_cannot_lock_themselves_out(backend) {
        let app = TestApp::spawn(backend);
        let (admin_id, token) = admin(&app);
        let (id, plain) = user(&app, "ann@example.com", "Ann");
        let routes = [("GET", "/api/admin/users".to_owned()), ("GET", format!("/api/admin/users/{id}")),
            ("PATCH", format!("/api/admin/users/{id}")), ("DELETE", format!("/api/admin/users/{id}/sessions")),
            ("DELETE", format!("/api/admin/users/{id}"))];
        for (method, path) in &routes {
            let refused = app.request(method, path).bearer(&plain).json(&json!({})).send();
            refused.assert_error(403, "forbidden");
            app.request(method, path).send().assert_error(401, "token_not_provided");
        }
        for (body, field) in [(json!({"roles": []}), "roles"), (json!({"disabled": true}), "disabled")] {
            let refused = patch(&app, &token, &admin_id, body);
            refused.assert_error(422, "validation_failed");
            assert!(refused.json()["errors"][field].is_array(), "{}", refused.text);
        }
        app.request("DELETE", &format!("/api/admin/users/{admin_id}")).bearer(&token).send().assert_error(422, "validation_failed");
        let (roles, disabled): (String, Option<chrono::NaiveDateTime>) = app.query(|conn| users::table.filter(users::email.eq("root@example.com")).select((users::roles, users::disabled_at)).first(conn));
        assert_eq!((roles.as_str(), disabled), ("admin", None));
        // An admin whose two-factor is on needs a session proven with it (acr "2").
        app.execute("UPDATE users SET two_factor_secret = 'sealed', two_factor_confirmed_at = created_at WHERE email = 'root@example.com'");
        let refused = app.get("/api/admin/users").bearer(&token).send();
        refused.assert_error(403, "forbidden");
        assert!(refused.json()["message"].as_str().unwrap().contains("two-factor"));
        // A demoted admin stops at the next request: the row decides, not the token.
        app.execute("UPDATE users SET roles = '', two_factor_confirmed_at = NULL WHERE email = 'root@example.com'");
        app.get("/api/admin/users").bearer(&token).send().assert_error(403, "forbidden");
        let open: i64 = app.query(|conn| sessions::table.filter(sessions::revoked_at.is_null()).count().get_result(conn));
        assert_eq!(open, 3, "nothing ended");
    }
}
