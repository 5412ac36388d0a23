//! POST /register and /signup.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use jwt_auth_server::models::User;
use jwt_auth_server::schema::users;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

fn user_count(app: &TestApp) -> i64 {
    app.query(|conn| users::table.count().get_result(conn))
}

fn stored_user(app: &TestApp, email: &str) -> User {
    User::find_by_email(&mut app.conn(), email)
        .unwrap()
        .expect("the user is stored")
}

api_tests! {
    fn register_creates_the_user_and_answers_201(backend) {
        let app = TestApp::spawn(backend);
        let response = app
            .post("/api/register")
            .json(&json!({ "name": "  Ann Smith ", "email": " Ann@Example.COM ", "password": PASSWORD }))
            .send();
        assert_eq!(response.status, 201, "{}", response.text);
        let body = response.json();
        assert_eq!(body["status"], "success");
        let data = body["data"].as_object().unwrap();
        let mut keys: Vec<_> = data.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["created_at", "email", "email_verified_at", "id", "name", "roles", "two_factor_enabled", "updated_at"]);
        assert_eq!((data["name"].as_str(), data["email"].as_str()), (Some("Ann Smith"), Some("ann@example.com")));
        let created = chrono::DateTime::parse_from_rfc3339(data["created_at"].as_str().unwrap()).unwrap();
        assert_eq!(created.offset().local_minus_utc(), 0);
        assert!(data["created_at"].as_str().unwrap().ends_with('Z'));

        let user = stored_user(&app, "ann@example.com");
        assert_eq!(user.id.to_string(), data["id"].as_str().unwrap());
        assert!(user.password.starts_with("$2b$04$"), "stored as a bcrypt hash");
        assert!(bcrypt::verify(PASSWORD, &user.password).unwrap());
        assert!(!response.text.contains(&user.password) && !response.text.contains(PASSWORD));
    }

    fn every_register_path_creates_a_user(backend) {
        let app = TestApp::spawn(backend);
        for (i, path) in ["/api/register", "/api/signup", "/api/auth/register", "/api/auth/signup"].iter().enumerate() {
            let email = format!("user{i}@example.com");
            let response = app.post(path).json(&json!({ "name": "N", "email": email, "password": PASSWORD })).send();
            assert_eq!(response.status, 201, "{path}: {}", response.text);
            assert_eq!(response.json()["data"]["email"], email.as_str());
        }
        assert_eq!(user_count(&app), 4);
    }

    fn register_accepts_a_form_body(backend) {
        let app = TestApp::spawn(backend);
        let response = app
            .post("/api/register")
            .form("name=Bo+Jones&email=bo%40example.com&password=correct+horse&password_confirmation=correct+horse")
            .send();
        assert_eq!(response.status, 201, "{}", response.text);
        assert_eq!(response.json()["data"]["name"], "Bo Jones");
        assert!(bcrypt::verify("correct horse", &stored_user(&app, "bo@example.com").password).unwrap());
    }

    fn register_with_another_content_type_is_415(backend) {
        let app = TestApp::spawn(backend);
        let body = json!({ "name": "N", "email": "n@example.com", "password": PASSWORD }).to_string();
        app.post("/api/register").body("text/plain", body.clone().into_bytes()).send().assert_error(415, "unsupported_media_type");
        let without_type = app.post("/api/register").raw_body(body.into_bytes()).send();
        without_type.assert_error(415, "unsupported_media_type");
        assert_eq!(user_count(&app), 0);
    }

    fn register_lists_every_missing_field(backend) {
        let app = TestApp::spawn(backend);
        let response = app.post("/api/register").json(&json!({})).send();
        response.assert_error(422, "validation_failed");
        assert_eq!(
            response.json(),
            json!({
                "message": "The given data was invalid.",
                "error": "validation_failed",
                "errors": {
                    "email": ["The email field is required."],
                    "name": ["The name field is required."],
                    "password": ["The password field is required."],
                }
            })
        );
        let empty_body = app.post("/api/register").body("application/json", vec![]).send();
        assert_eq!(empty_body.json()["errors"], response.json()["errors"]);
        assert_eq!(user_count(&app), 0);
    }

    fn register_rejects_values_that_are_not_text(backend) {
        let app = TestApp::spawn(backend);
        let response = app
            .post("/api/register")
            .json(&json!({ "name": 42, "email": ["a@b.c"], "password": { "x": 1 } }))
            .send();
        response.assert_error(422, "validation_failed");
        let errors = &response.json()["errors"];
        assert_eq!(errors["name"], json!(["The name field must be a string."]));
        assert_eq!(errors["email"], json!(["The email field must be a string."]));
        assert_eq!(errors["password"], json!(["The password field must be a string."]));
    }

    fn register_checks_name_email_and_password_rules(backend) {
        let app = TestApp::spawn(backend);
        let cases = [
            (json!({ "name": "x".repeat(101), "email": "a@example.com", "password": PASSWORD }), "name"),
            (json!({ "name": "bad\u{0007}name", "email": "a@example.com", "password": PASSWORD }), "name"),
            (json!({ "name": "   ", "email": "a@example.com", "password": PASSWORD }), "name"),
            (json!({ "name": "N", "email": "not-an-email", "password": PASSWORD }), "email"),
            (json!({ "name": "N", "email": format!("{}@example.com", "a".repeat(250)), "password": PASSWORD }), "email"),
            (json!({ "name": "N", "email": "a@example.com", "password": "short12" }), "password"),
            (json!({ "name": "N", "email": "a@example.com", "password": "a".repeat(73) }), "password"),
            (json!({ "name": "N", "email": "a@example.com", "password": "€".repeat(25) }), "password"),
            (json!({ "name": "N", "email": "a@example.com", "password": PASSWORD, "password_confirmation": "other" }), "password"),
        ];
        for (body, field) in cases {
            let response = app.post("/api/register").json(&body).send();
            response.assert_error(422, "validation_failed");
            let errors = response.json()["errors"].as_object().unwrap().clone();
            assert_eq!(errors.keys().collect::<Vec<_>>(), [field], "{body}: {errors:?}");
            let password = body["password"].as_str().unwrap();
            assert!(!response.text.contains(password), "the password is never echoed");
        }
        assert_eq!(user_count(&app), 0);
    }

    fn a_password_of_72_bytes_registers_and_only_it_logs_in(backend) {
        let app = TestApp::spawn(backend);
        let password = "a".repeat(72);
        app.register("long@example.com", &password);
        app.login("long@example.com", &password);
        let longer = app.post("/api/login").json(&json!({ "email": "long@example.com", "password": format!("{password}X") })).send();
        longer.assert_error(401, "invalid_credentials");
    }

    fn a_name_of_100_multibyte_characters_is_accepted(backend) {
        let app = TestApp::spawn(backend);
        let name = "é".repeat(100);
        let response = app.post("/api/register").json(&json!({ "name": name, "email": "e@example.com", "password": PASSWORD })).send();
        assert_eq!(response.status, 201, "{}", response.text);
        assert_eq!(stored_user(&app, "e@example.com").name, name);
    }

    fn emails_are_unique_whatever_their_case(backend) {
        let app = TestApp::spawn(backend);
        app.register("Case@Example.com", PASSWORD);
        let response = app
            .post("/api/register")
            .json(&json!({ "name": "Other", "email": " case@EXAMPLE.com", "password": PASSWORD }))
            .send();
        response.assert_error(422, "validation_failed");
        assert_eq!(response.json()["errors"], json!({ "email": ["The email has already been taken."] }));
        assert_eq!(user_count(&app), 1);
    }

    fn fields_the_server_owns_are_ignored(backend) {
        let app = TestApp::spawn(backend);
        let response = app
            .post("/api/register")
            .json(&json!({
                "id": "00000000-0000-0000-0000-000000000001", "name": "N", "email": "n@example.com",
                "password": PASSWORD, "created_at": "2000-01-01T00:00:00Z", "tokens_valid_after": "2100-01-01",
                "is_admin": true,
            }))
            .send();
        assert_eq!(response.status, 201, "{}", response.text);
        let user = stored_user(&app, "n@example.com");
        assert_ne!(user.id.to_string(), "00000000-0000-0000-0000-000000000001");
        assert!(user.created_at.and_utc().timestamp() > 1_700_000_000);
        assert_eq!(user.tokens_valid_after, None);
    }

    fn concurrent_sign_ups_with_one_email_leave_one_row(backend) {
        let app = Arc::new(TestApp::spawn(backend));
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (app, barrier) = (app.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let body = json!({ "name": format!("N{i}"), "email": "race@example.com", "password": PASSWORD });
                    barrier.wait();
                    app.post("/api/register").json(&body).send()
                })
            })
            .collect();
        let responses: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let created = responses.iter().filter(|r| r.status == 201).count();
        assert_eq!(created, 1, "{responses:?}");
        for response in responses.iter().filter(|r| r.status != 201) {
            response.assert_error(422, "validation_failed");
            assert_eq!(response.json()["errors"]["email"][0], "The email has already been taken.");
        }
        assert_eq!(user_count(&app), 1);
    }

    fn common_passwords_are_refused_without_being_echoed(backend) {
        let app = TestApp::spawn(backend);
        for password in ["ILoveYou", "password1", "Sunshine"] {
            let response = app.post("/api/register").json(&json!({ "name": "N", "email": "c@example.com", "password": password })).send();
            response.assert_error(422, "validation_failed");
            assert_eq!(
                response.json()["errors"],
                json!({ "password": ["The password field is one of the most common passwords: choose another."] })
            );
            assert!(!response.text.to_lowercase().contains(&password.to_lowercase()));
        }
        assert_eq!(user_count(&app), 0);
    }
}
