//! What an SPA on another origin meets: CORS for Axios and Laravel's `bootstrap.js`, a refusal that
//! says what it refused, Sanctum's csrf-cookie, and `FormData` bodies.

use diesel::prelude::*;
use jwt_auth_server::schema::users;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

const SPA: &str = "http://spa.test";

fn cors_app(backend: crate::helpers::Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| c.cors_allowed_origins = vec![SPA.into()])
}

fn preflight(
    app: &TestApp,
    origin: &str,
    method: &str,
    headers: &str,
) -> crate::helpers::TestResponse {
    app.request("OPTIONS", "/api/login")
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
}

/// A `multipart/form-data` body of `fields` (name, value, filename).
fn multipart(fields: &[(&str, &str, Option<&str>)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, value, filename) in fields {
        let file = filename
            .map(|f| format!("; filename=\"{f}\""))
            .unwrap_or_default();
        body.push_str(&format!(
            "--BOUNDARY\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str("--BOUNDARY--\r\n");
    body.into_bytes()
}

const MULTIPART: &str = "multipart/form-data; boundary=BOUNDARY";

api_tests! {
    fn a_preflight_may_ask_for_axios_and_laravels_headers(backend) {
        let app = cors_app(backend);
        let asked = "authorization, content-type, accept, x-requested-with, x-request-id, x-xsrf-token";
        let allowed = preflight(&app, SPA, "POST", asked);
        assert_eq!(allowed.status, 200, "{}", allowed.text);
        assert_eq!(allowed.header("access-control-allow-origin"), Some(SPA));
        let headers = allowed.header("access-control-allow-headers").unwrap().to_ascii_lowercase();
        for header in asked.split(", ") {
            assert!(headers.contains(header), "{header} in {headers}");
        }
    }

    fn a_page_may_read_retry_after_the_request_id_and_www_authenticate(backend) {
        let app = cors_app(backend);
        let response = app.get("/api/me").header("Origin", SPA).send();
        response.assert_error(401, "token_not_provided");
        let exposed = response.header("access-control-expose-headers").unwrap().to_ascii_lowercase();
        for header in ["retry-after", "x-request-id", "www-authenticate"] {
            assert!(exposed.contains(header), "{header} in {exposed}");
        }
    }

    fn a_refused_preflight_is_403_naming_the_origin_the_method_or_the_header(backend) {
        let app = cors_app(backend);
        let origin = preflight(&app, "http://evil.test", "POST", "content-type");
        origin.assert_error(403, "cors_refused");
        assert!(origin.json()["message"].as_str().unwrap().contains("http://evil.test"), "{}", origin.text);
        assert_eq!(origin.header("access-control-allow-origin"), None);
        let method = preflight(&app, SPA, "PATCH", "content-type");
        method.assert_error(403, "cors_refused");
        assert!(method.json()["message"].as_str().unwrap().contains("PATCH"), "{}", method.text);
        let header = preflight(&app, SPA, "POST", "content-type, x-custom-thing");
        header.assert_error(403, "cors_refused");
        let message = header.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("x-custom-thing") && !message.contains("header content-type"), "{message}");
    }

    fn csrf_cookie_answers_204_without_cookie_mode_and_sets_nothing(backend) {
        let app = TestApp::spawn(backend);
        for path in ["/api/csrf-cookie", "/api/auth/csrf-cookie", "/sanctum/csrf-cookie"] {
            let response = app.get(path).send();
            assert_eq!((response.status, response.text.as_str()), (204, ""), "{path}");
            assert_eq!(response.header("set-cookie"), None, "{path}");
        }
    }

    fn csrf_cookie_in_cookie_mode_sets_xsrf_token_and_never_replaces_a_valid_one(backend) {
        let app = TestApp::spawn_with(backend, crate::cookie_mode::enable);
        // Before a login: a placeholder XSRF-TOKEN, readable by the page.
        let fresh = app.get("/sanctum/csrf-cookie").send();
        assert_eq!(fresh.status, 204);
        let placeholder = fresh.header("set-cookie").unwrap().to_owned();
        assert!(placeholder.starts_with("XSRF-TOKEN=") && !placeholder.contains("HttpOnly"), "{placeholder}");

        app.register("csrf@example.com", PASSWORD);
        let login = app.post("/api/login").json(&json!({ "email": "csrf@example.com", "password": PASSWORD })).send();
        assert_eq!(login.status, 200, "{}", login.text);
        let set: Vec<String> = login.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        let value = |name: &str| {
            set.iter()
                .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap().to_owned()))
                .unwrap()
        };
        let (refresh, xsrf) = (value("refresh_token"), value("XSRF-TOKEN"));
        // A logged-in page calling /sanctum (where the refresh cookie is not sent) keeps its token.
        let kept = app.get("/sanctum/csrf-cookie").header("Cookie", &format!("XSRF-TOKEN={xsrf}")).send();
        assert_eq!((kept.status, kept.header("set-cookie")), (204, None));
        // A page that lost XSRF-TOKEN gets the same value back, and refresh accepts it.
        let again = app.get("/api/csrf-cookie").header("Cookie", &format!("refresh_token={refresh}")).send();
        assert_eq!(again.status, 204);
        let cookie = again.header("set-cookie").unwrap().to_owned();
        assert_eq!(cookie.split(';').next().unwrap(), format!("XSRF-TOKEN={xsrf}"));
        assert!(cookie.contains("Path=/") && !cookie.contains("HttpOnly"), "the page reads it: {cookie}");
        let refreshed = app
            .post("/api/refresh")
            .header("Cookie", &format!("refresh_token={refresh}"))
            .header("X-XSRF-TOKEN", &xsrf)
            .send();
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    }

    fn form_data_bodies_are_read_like_forms(backend) {
        let app = TestApp::spawn(backend);
        let register = multipart(&[("name", "Form Data", None), ("email", "form@example.com", None), ("password", PASSWORD, None)]);
        let response = app.post("/api/register").body(MULTIPART, register).send();
        assert_eq!(response.status, 201, "{}", response.text);
        assert_eq!(response.json()["data"]["email"], "form@example.com");
        let names: Vec<String> = app.query(|conn| users::table.select(users::name).load(conn));
        assert_eq!(names, ["Form Data"]);
        let login = multipart(&[("email", "form@example.com", None), ("password", PASSWORD, None)]);
        let response = app.post("/api/login").body(MULTIPART, login).send();
        assert_eq!(response.status, 200, "{}", response.text);
        assert!(response.json()["access_token"].is_string());
    }

    fn a_file_in_form_data_is_422_and_a_broken_body_400_and_nothing_is_written(backend) {
        let app = TestApp::spawn(backend);
        let with_file = multipart(&[("name", "File", None), ("email", "file@example.com", None), ("password", PASSWORD, Some("p.txt"))]);
        let response = app.post("/api/register").body(MULTIPART, with_file).send();
        response.assert_error(422, "validation_failed");
        assert!(response.json()["errors"]["password"].is_array(), "{}", response.text);
        let broken = app.post("/api/register").body(MULTIPART, b"--BOUNDARY\r\nno end".to_vec()).send();
        broken.assert_error(400, "bad_request");
        let count: i64 = app.query(|conn| users::table.count().get_result(conn));
        assert_eq!(count, 0);
    }
}
