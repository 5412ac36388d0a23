//! POST /login and /signin.

use std::time::Instant;

use serde_json::json;

use crate::helpers::{ISSUER, PASSWORD, TestApp, claims_of, header_of};

api_tests! {
    fn login_answers_a_bearer_token_that_is_not_cached(backend) {
        let app = TestApp::spawn(backend);
        let user = app.register("ann@example.com", PASSWORD);
        let response = app.post("/api/login").json(&json!({ "email": "ann@example.com", "password": PASSWORD })).send();
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("pragma"), Some("no-cache"));
        let body = response.json();
        assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("bearer"), Some(3600)));
        assert_eq!(body.as_object().unwrap().len(), 3);

        let token = body["access_token"].as_str().unwrap();
        assert_eq!(header_of(token), json!({ "alg": "HS256", "typ": "JWT" }));
        let claims = claims_of(token);
        assert_eq!((claims["iss"].as_str(), &claims["sub"]), (Some(ISSUER), &user["id"]));
        let iat = claims["iat"].as_i64().unwrap();
        assert_eq!(claims["nbf"].as_i64(), Some(iat));
        assert_eq!(claims["orig_iat"].as_i64(), Some(iat));
        assert_eq!(claims["exp"].as_i64(), Some(iat + 3600));
        assert_eq!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap().get_version_num(), 7);
        assert!(!response.text.contains(PASSWORD));
    }

    fn every_login_path_accepts_json_and_forms(backend) {
        let app = TestApp::spawn(backend);
        app.register("bo@example.com", PASSWORD);
        for path in ["/api/login", "/api/signin", "/api/auth/login", "/api/auth/signin"] {
            let json = app.post(path).json(&json!({ "email": "bo@example.com", "password": PASSWORD })).send();
            assert_eq!(json.status, 200, "{path}: {}", json.text);
            let form = app.post(path).form("email=bo%40example.com&password=correct+horse+battery").send();
            assert_eq!(form.status, 200, "{path}: {}", form.text);
        }
    }

    fn login_matches_the_email_whatever_its_case(backend) {
        let app = TestApp::spawn(backend);
        app.register("cy@example.com", PASSWORD);
        app.login("  CY@Example.COM ", PASSWORD);
    }

    fn an_unknown_email_and_a_wrong_password_get_the_same_answer(backend) {
        let app = TestApp::spawn(backend);
        app.register("dee@example.com", PASSWORD);
        let wrong = app.post("/api/login").json(&json!({ "email": "dee@example.com", "password": "wrong password" })).send();
        let unknown = app.post("/api/login").json(&json!({ "email": "nobody@example.com", "password": PASSWORD })).send();
        wrong.assert_error(401, "invalid_credentials");
        assert_eq!(wrong.json(), json!({ "message": "Unauthorized", "error": "invalid_credentials" }));
        assert_eq!(unknown.json(), wrong.json());
        assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
        assert_eq!(unknown.header("www-authenticate"), Some("Bearer"));
    }

    fn an_unknown_email_takes_as_long_as_a_wrong_password(backend) {
        // Cost 10 makes a bcrypt check take tens of milliseconds, far above the noise of a request.
        let app = TestApp::spawn_with(backend, |c| {
            c.bcrypt_rounds = 10;
            c.rate_limit.enabled = false; // 7 failures per account exceed the lock-out
        });
        app.register("eve@example.com", PASSWORD);
        // Interleaved, so a busy machine slows both kinds alike; medians of 7 ignore outliers.
        let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            for (email, times) in [("eve@example.com", &mut wrong), ("nobody@example.com", &mut unknown)] {
                let start = Instant::now();
                let body = json!({ "email": email, "password": "wrong password" });
                let response = app.post("/api/login").json(&body).send();
                times.push(start.elapsed());
                assert_eq!(response.status, 401, "{}", response.text);
            }
        }
        wrong.sort();
        unknown.sort();
        let (wrong, unknown) = (wrong[3], unknown[3]);
        assert!(unknown * 2 > wrong && wrong * 2 > unknown, "wrong password {wrong:?}, unknown email {unknown:?}");
    }

    fn login_requires_both_fields_and_a_valid_email(backend) {
        let app = TestApp::spawn(backend);
        let response = app.post("/api/login").json(&json!({ "email": "not-an-email" })).send();
        response.assert_error(422, "validation_failed");
        assert_eq!(
            response.json()["errors"],
            json!({
                "email": ["The email field must be a valid email address."],
                "password": ["The password field is required."],
            })
        );
    }

    fn login_with_another_content_type_is_415(backend) {
        let app = TestApp::spawn(backend);
        app.post("/api/login")
            .body("text/plain", b"email=a@example.com".to_vec())
            .send()
            .assert_error(415, "unsupported_media_type");
    }

    fn a_laravel_hash_logs_in_and_is_rehashed_at_the_configured_cost(backend) {
        // Made by PHP 8.2.36: password_hash("laravel-imported-password", PASSWORD_BCRYPT, ["cost" => 10]).
        const LARAVEL_HASH: &str = "$2y$10$q0I0uhDMwgkq6eg2.1Bo6O3961QxAwU/YsfaPSFRYQc.TDDpNH6B2";
        let app = TestApp::spawn_with(backend, |c| c.bcrypt_rounds = 11);
        app.execute(&format!(
            "INSERT INTO users (id, name, email, password, created_at, updated_at) VALUES \
             ('01900000-0000-7000-8000-0000000000aa', 'From Laravel', 'laravel@example.com', '{LARAVEL_HASH}', \
             '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
        ));
        app.login("laravel@example.com", "laravel-imported-password");
        let stored: String = app.query(|conn| {
            use diesel::prelude::*;
            use jwt_auth_server::schema::users;
            users::table.select(users::password).first(conn)
        });
        assert!(stored.starts_with("$2b$11$"), "rehashed at BCRYPT_ROUNDS: {stored}");
        assert!(bcrypt::verify("laravel-imported-password", &stored).unwrap());
        app.login("laravel@example.com", "laravel-imported-password");
    }
}
