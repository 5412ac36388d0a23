//! What every client meets whatever it sends: JSON errors, 404/405/400/413, CORS, trailing slashes.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

api_tests! {
    fn an_unknown_route_is_a_json_404(backend) {
        let app = TestApp::spawn(backend);
        for path in ["/", "/api", "/api/nothing", "/api/auth/nothing", "/index.php"] {
            let response = app.get(path).send();
            response.assert_error(404, "not_found");
            assert_eq!(response.json(), json!({ "message": "Not Found", "error": "not_found" }));
        }
    }

    fn a_wrong_method_is_a_json_405_naming_the_allowed_ones(backend) {
        let app = TestApp::spawn(backend);
        for (method, path, allow) in [
            ("GET", "/api/login", "POST"),
            ("PUT", "/api/register", "POST"),
            ("DELETE", "/api/me", "GET, POST"),
            ("PATCH", "/api/auth/refresh", "GET, POST"),
            ("POST", "/health", "GET"),
        ] {
            let response = app.request(method, path).send();
            response.assert_error(405, "method_not_allowed");
            assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
        }
    }

    fn malformed_bodies_are_400_and_change_nothing(backend) {
        let app = TestApp::spawn(backend);
        for body in [&b"{\"name\": "[..], b"[1, 2, 3]", b"\"just a string\"", b"{\"a\":\xff}", b"null"] {
            let response = app.post("/api/register").body("application/json", body.to_vec()).send();
            response.assert_error(400, "bad_request");
            assert!(!response.text.contains("just a string"), "input is not echoed");
        }
        let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        app.post("/api/register").body("application/json", nested.into_bytes()).send().assert_error(400, "bad_request");
        let form = app.post("/api/login").form("email=a%40b.c&email=d%40e.f&password=x").send();
        form.assert_error(400, "bad_request");
        assert_eq!(app.get("/api/me").send().status, 401, "still serving");
    }

    fn a_body_over_64_kib_is_413(backend) {
        let app = TestApp::spawn(backend);
        let padding = "x".repeat(64 * 1024);
        let body = json!({ "name": "N", "email": "big@example.com", "password": PASSWORD, "padding": padding });
        app.post("/api/register").json(&body).send().assert_error(413, "payload_too_large");
        app.post("/api/login").form(&format!("email=a%40b.c&password={padding}")).send().assert_error(413, "payload_too_large");
        let small = json!({ "name": "N", "email": "big@example.com", "password": PASSWORD, "padding": "x".repeat(60_000) });
        assert_eq!(app.post("/api/register").json(&small).send().status, 201);
    }

    fn a_trailing_slash_is_ignored(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = app.user_with_token();
        assert_eq!(app.get("/api/me/").bearer(&token).send().status, 200);
        assert_eq!(app.get("/health/").send().status, 200);
    }

    fn cors_answers_preflights_for_allowed_origins_only(backend) {
        let app = TestApp::spawn_with(backend, |c| c.cors_allowed_origins = vec!["http://spa.test".into()]);
        let preflight = |origin: &str| {
            app.request("OPTIONS", "/api/login")
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .send()
        };
        let allowed = preflight("http://spa.test");
        assert_eq!(allowed.status, 200, "{}", allowed.text);
        assert_eq!(allowed.header("access-control-allow-origin"), Some("http://spa.test"));
        let headers = allowed.header("access-control-allow-headers").unwrap().to_lowercase();
        assert!(headers.contains("authorization") && headers.contains("content-type"), "{headers}");

        let refused = preflight("http://evil.test");
        assert_eq!(refused.header("access-control-allow-origin"), None);
        refused.assert_error(403, "cors_refused");
    }

    fn without_cors_origins_no_cors_headers_are_sent(backend) {
        let app = TestApp::spawn(backend);
        let response = app.get("/health").header("Origin", "http://spa.test").send();
        assert_eq!(response.status, 200);
        assert_eq!(response.header("access-control-allow-origin"), None);
    }

    fn the_request_id_is_echoed_or_made(backend) {
        let app = TestApp::spawn(backend);
        let given = app.get("/health").header("X-Request-Id", "client-trace-42").send();
        assert_eq!(given.header("x-request-id"), Some("client-trace-42"));
        let made = app.get("/health").send();
        assert_eq!(uuid::Uuid::parse_str(made.header("x-request-id").unwrap()).map(|_| ()), Ok(()));
        let unsafe_id = app.get("/api/nothing").header("X-Request-Id", "bad id with spaces").send();
        assert_ne!(unsafe_id.header("x-request-id"), Some("bad id with spaces"));
        assert!(unsafe_id.header("x-request-id").is_some(), "errors carry it too");
    }

    fn a_slow_head_or_body_is_cut_off_with_408(backend) {
        use std::io::{Read, Write};
        let app = TestApp::spawn(backend);
        let address = app.address.trim_start_matches("http://").to_owned();
        let slow = |request: &'static str| {
            let address = address.clone();
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(&address).unwrap();
                stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
                stream.write_all(request.as_bytes()).unwrap();
                let started = std::time::Instant::now();
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                (answer, started.elapsed())
            })
        };
        let head = slow("POST /api/login HTTP/1.1\r\nHost: x\r\n");
        let body = slow("POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"");
        let (head, head_time) = head.join().unwrap();
        let (body, body_time) = body.join().unwrap();
        assert!(head.starts_with("HTTP/1.1 408"), "{head}");
        assert!(head_time < std::time::Duration::from_secs(8), "head cut after {head_time:?}");
        assert!(body.starts_with("HTTP/1.1 408") && body.contains("request_timeout"), "{body}");
        assert!(body_time < std::time::Duration::from_secs(13), "body cut after {body_time:?}");
    }

    fn the_openapi_document_describes_every_route(backend) {
        use jwt_auth_server::routes::{LOGIN, LOGOUT, ME, OAUTH_REVOKE, OAUTH_TOKEN, PREFIXES, REFRESH, REGISTER};
        let app = TestApp::spawn(backend);
        let response = app.get("/api/openapi.json").send();
        assert_eq!(response.status, 200);
        let doc = response.json();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        // Each route with the success and the client errors its contract names.
        let contract: [(_, &[&str]); 5] = [
            (REGISTER, &["201", "422", "429"]),
            (LOGIN, &["200", "401", "422", "429"]),
            (ME, &["200", "401"]),
            (REFRESH, &["200", "401", "429"]),
            (LOGOUT, &["200", "401", "422"]),
        ];
        for ((aliases, methods), statuses) in contract {
            for prefix in PREFIXES {
                for alias in aliases {
                    let item = &paths[&format!("{prefix}{alias}")];
                    for method in methods {
                        let responses = &item[method.as_str().to_lowercase()]["responses"];
                        for status in statuses {
                            assert!(responses[status].is_object(), "{prefix}{alias} {method} {status}");
                        }
                    }
                }
            }
        }
        for path in OAUTH_TOKEN.iter().chain(OAUTH_REVOKE).chain(&["/health"]) {
            assert!(paths.contains_key(*path), "{path}");
        }
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }
}
