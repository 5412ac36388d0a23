//! GET|POST /me and /user behind the access guard, and forged tokens.

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use crate::helpers::{SECRET, TestApp, forge_with, now};

fn me(app: &TestApp, token: &str) -> crate::helpers::TestResponse {
    app.get("/api/me").bearer(token).send()
}

api_tests! {
    fn me_answers_the_user_on_every_path_and_method(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, token) = app.user_with_token();
        for path in ["/api/me", "/api/user", "/api/auth/me", "/api/auth/user"] {
            for method in ["GET", "POST"] {
                let response = app.request(method, path).bearer(&token).send();
                assert_eq!(response.status, 200, "{method} {path}: {}", response.text);
                let user = response.json();
                assert_eq!(user["id"], user_id.as_str());
                let mut keys: Vec<_> = user.as_object().unwrap().keys().cloned().collect();
                keys.sort();
                assert_eq!(keys, ["created_at", "email", "email_verified_at", "id", "name", "roles", "two_factor_enabled", "updated_at"]);
            }
        }
    }

    fn me_without_a_token_is_401_token_not_provided(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = app.user_with_token();
        let none = app.get("/api/me").send();
        none.assert_error(401, "token_not_provided");
        assert_eq!(none.json()["message"], "Token not provided");
        assert_eq!(none.header("www-authenticate"), Some("Bearer"));
        let basic = app.get("/api/me").header("Authorization", "Basic dXNlcjpwYXNz").send();
        basic.assert_error(401, "token_not_provided");
        let empty = app.get("/api/me").header("Authorization", "Bearer ").send();
        empty.assert_error(401, "token_not_provided");
        // Tokens are never read from the URL (they would end up in access logs).
        let in_query = app.get(&format!("/api/me?token={token}")).send();
        in_query.assert_error(401, "token_not_provided");
    }

    fn the_bearer_scheme_is_case_insensitive(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = app.user_with_token();
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let response = app.get("/api/me").header("Authorization", &format!("{scheme} {token}")).send();
            assert_eq!(response.status, 200, "{scheme}");
        }
    }

    fn an_expired_token_is_401_token_expired(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, _) = app.user_with_token();
        let expired = app.forge(&app.claims(&user_id, 3601, 3600));
        let response = me(&app, &expired);
        response.assert_error(401, "token_expired");
        assert_eq!(response.json()["message"], "Token has expired");
        assert_eq!(response.header("www-authenticate"), Some(r#"Bearer error="invalid_token""#));
    }

    fn forged_and_malformed_tokens_are_401_token_invalid(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, _) = app.user_with_token();
        let valid = app.claims(&user_id, 0, 3600);
        let with = |key: &str, value: Value| {
            let mut claims = valid.clone();
            claims[key] = value;
            claims
        };
        let without = |key: &str| {
            let mut claims = valid.clone();
            claims.as_object_mut().unwrap().remove(key);
            claims
        };
        let header = base64_url(&json!({ "alg": "none", "typ": "JWT" }).to_string());
        let alg_none = format!("{header}.{}.", base64_url(&valid.to_string()));
        let cases = [
            ("future nbf", app.forge(&with("nbf", json!(now() + 600)))),
            ("future iat", app.forge(&with("iat", json!(now() + 600)))),
            ("wrong iss", app.forge(&with("iss", json!("https://evil.example")))),
            ("string exp", app.forge(&with("exp", json!((now() + 600).to_string())))),
            ("string iat", app.forge(&with("iat", json!(now().to_string())))),
            ("numeric sub", app.forge(&with("sub", json!(12)))),
            ("missing jti", app.forge(&without("jti"))),
            ("missing iat", app.forge(&without("iat"))),
            ("missing nbf", app.forge(&without("nbf"))),
            ("missing iss", app.forge(&without("iss"))),
            ("missing exp", app.forge(&without("exp"))),
            ("alg none", alg_none),
            ("HS512", forge_with(Algorithm::HS512, SECRET, &valid)),
            ("other secret", forge_with(Algorithm::HS256, "another-secret-another-secret-0123456", &valid)),
            ("garbage", "not.a.jwt".to_owned()),
            ("one segment", "abc".to_owned()),
        ];
        for (case, token) in cases {
            let response = me(&app, &token);
            assert_eq!((response.status, response.json()["error"].as_str()), (401, Some("token_invalid")), "{case}: {}", response.text);
            assert_eq!(response.header("www-authenticate"), Some(r#"Bearer error="invalid_token""#), "{case}");
        }
        let other_secret = me(&app, &forge_with(Algorithm::HS256, "another-secret-another-secret-0123456", &valid));
        assert_eq!(other_secret.json()["message"], "Token Signature could not be verified.");
    }

    fn a_deleted_users_token_is_401_user_not_found(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, token) = app.user_with_token();
        app.execute(&format!("DELETE FROM users WHERE id = '{user_id}'"));
        me(&app, &token).assert_error(401, "user_not_found");
        let unknown = app.forge(&app.claims(&uuid::Uuid::now_v7().to_string(), 0, 3600));
        me(&app, &unknown).assert_error(401, "user_not_found");
    }
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
