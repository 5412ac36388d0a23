//! SPA cookie mode (REFRESH_COOKIE=true): the refresh cookie, XSRF-TOKEN and the 419s.

use actix_web::cookie::{Cookie, SameSite};
use diesel::prelude::*;
use jwt_auth_server::config::{
    Config, RefreshCookieConfig, SameSite as SameSiteSetting, allowed_origins,
};
use jwt_auth_server::models::BlacklistedToken;
use jwt_auth_server::schema::{blacklisted_tokens, sessions};
use serde_json::json;

use crate::helpers::{Backend, ISSUER, PASSWORD, TestApp, TestResponse, claims_of};

/// Turns cookie mode on with the documented defaults, for the config's APP_URL and CORS origins.
pub(crate) fn enable(config: &mut Config) {
    config.refresh_cookie = Some(RefreshCookieConfig {
        name: "refresh_token".into(),
        path: "/api".into(),
        domain: None,
        same_site: SameSiteSetting::Strict,
        secure: true,
        allowed_origins: allowed_origins(&config.app_url, &config.cors_allowed_origins),
    });
}

fn cookie_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, enable)
}

/// Seconds a fresh login can be refreshed: the cookies' Max-Age.
fn refresh_window(app: &TestApp) -> i64 {
    i64::from(app.config.jwt.refresh_ttl_minutes) * 60
}

/// What a browser holds after a login or refresh: the refresh cookie and XSRF-TOKEN.
struct Jar {
    refresh: Cookie<'static>,
    xsrf: Cookie<'static>,
}

impl Jar {
    fn from(response: &TestResponse) -> Self {
        assert_eq!(response.status, 200, "{}", response.text);
        let cookies = set_cookies(response);
        let named = |name: &str| {
            cookies
                .iter()
                .find(|c| c.name() == name)
                .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
                .clone()
        };
        Self {
            refresh: named("refresh_token"),
            xsrf: named("XSRF-TOKEN"),
        }
    }

    /// The `Cookie` header a browser would send to /api.
    fn header(&self) -> String {
        format!(
            "refresh_token={}; XSRF-TOKEN={}",
            self.refresh.value(),
            self.xsrf.value()
        )
    }
}

fn set_cookies(response: &TestResponse) -> Vec<Cookie<'static>> {
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| Cookie::parse(v.to_str().unwrap().to_owned()).unwrap())
        .collect()
}

fn login(app: &TestApp) -> (String, TestResponse) {
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    let user = app.register(&email, PASSWORD);
    let response = app
        .post("/api/login")
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send();
    (user["id"].as_str().unwrap().to_owned(), response)
}

fn refresh(app: &TestApp, jar: &Jar, xsrf: Option<&str>) -> TestResponse {
    let request = app.post("/api/refresh").header("Cookie", &jar.header());
    match xsrf {
        Some(value) => request.header("X-XSRF-TOKEN", value).send(),
        None => request.send(),
    }
}

fn blacklist(app: &TestApp) -> Vec<BlacklistedToken> {
    app.query(|conn| blacklisted_tokens::table.load(conn))
}

fn revoked_sessions(app: &TestApp) -> i64 {
    app.query(|conn| {
        sessions::table
            .filter(sessions::revoked_at.is_not_null())
            .count()
            .get_result(conn)
    })
}

fn assert_csrf_mismatch(response: &TestResponse) {
    assert_eq!(response.status, 419, "{}", response.text);
    assert_eq!(
        response.json(),
        json!({ "message": "CSRF token mismatch.", "error": "csrf_token_mismatch" })
    );
    assert!(set_cookies(response).is_empty());
}

fn assert_max_age_near(cookie: &Cookie, seconds: i64) {
    let max_age = cookie.max_age().unwrap().whole_seconds();
    assert!((seconds - 5..=seconds).contains(&max_age), "{cookie}");
}

api_tests! {
    fn login_sets_the_refresh_cookie_and_xsrf_token_with_every_attribute(backend) {
        let app = cookie_app(backend);
        let (_, response) = login(&app);
        let body = response.json();
        assert_eq!(body["token_type"], "bearer");
        let jar = Jar::from(&response);

        let refresh = &jar.refresh;
        assert_eq!(refresh.value(), body["access_token"].as_str().unwrap());
        assert_eq!(refresh.http_only(), Some(true));
        assert_eq!(refresh.secure(), Some(true));
        assert_eq!(refresh.same_site(), Some(SameSite::Strict));
        assert_eq!(refresh.path(), Some("/api"));
        assert_eq!(refresh.domain(), None);
        assert_max_age_near(refresh, refresh_window(&app));

        let xsrf = &jar.xsrf;
        assert_eq!(xsrf.http_only(), None, "page scripts must read it");
        assert_eq!(xsrf.secure(), Some(true));
        assert_eq!(xsrf.same_site(), Some(SameSite::Strict));
        assert_eq!(xsrf.path(), Some("/"));
        assert_max_age_near(xsrf, refresh_window(&app));
        assert_eq!(xsrf.value().len(), 43);
        assert!(xsrf.value().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(app.query(|conn| sessions::table.count().get_result::<i64>(conn)), 1);
    }

    fn the_cookies_follow_the_refresh_cookie_settings(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            enable(c);
            let cookie = c.refresh_cookie.as_mut().unwrap();
            cookie.name = "__Secure-jwt".into();
            cookie.path = "/api/auth".into();
            cookie.domain = Some("example.test".into());
            cookie.same_site = SameSiteSetting::Lax;
        });
        let (_, response) = login(&app);
        let cookies = set_cookies(&response);
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        let refresh = cookies.iter().find(|c| c.name() == "__Secure-jwt").unwrap();
        assert_eq!(refresh.path(), Some("/api/auth"));
        // The domain widens XSRF-TOKEN only: the credential stays with the API's host.
        assert_eq!(refresh.domain(), None);
        assert_eq!(refresh.same_site(), Some(SameSite::Lax));
        let xsrf = cookies.iter().find(|c| c.name() == "XSRF-TOKEN").unwrap();
        assert_eq!((xsrf.path(), xsrf.domain()), (Some("/"), Some("example.test")));
        assert_eq!(xsrf.same_site(), Some(SameSite::Lax));
    }

    fn refresh_with_the_cookie_and_its_xsrf_header_rotates_both_cookies(backend) {
        let app = cookie_app(backend);
        let (_, response) = login(&app);
        let jar = Jar::from(&response);

        let refreshed = refresh(&app, &jar, Some(jar.xsrf.value()));

        let next = Jar::from(&refreshed);
        let token = refreshed.json()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(next.refresh.value(), token);
        assert_ne!(next.refresh.value(), jar.refresh.value());
        assert_ne!(next.xsrf.value(), jar.xsrf.value());
        assert_eq!(next.refresh.http_only(), Some(true));
        assert_max_age_near(&next.refresh, refresh_window(&app));
        let rows = blacklist(&app);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].jti.to_string(), claims_of(jar.refresh.value())["jti"].as_str().unwrap());
        assert_eq!(rows[0].successor_jti.map(|j| j.to_string()).as_deref(), claims_of(&token)["jti"].as_str());
        assert_eq!(app.get("/api/me").bearer(&token).send().status, 200);
    }

    fn a_second_tabs_stale_access_token_does_not_end_the_session(backend) {
        let app = cookie_app(backend);
        let (_, response) = login(&app);
        let stale = response.json()["access_token"].as_str().unwrap().to_owned();
        let jar = Jar::from(&response);
        // The first tab refreshes; the second still holds the token it had in memory.
        let refreshed = refresh(&app, &jar, Some(jar.xsrf.value()));
        let fresh = refreshed.json()["access_token"].as_str().unwrap().to_owned();
        app.execute("UPDATE blacklisted_tokens SET created_at = '2000-01-01 00:00:00', grace_until = '2000-01-01 00:00:00'");
        app.get("/api/me").bearer(&stale).send().assert_error(401, "token_blacklisted");
        app.request("DELETE", "/api/sessions").bearer(&stale).send().assert_error(401, "token_blacklisted");
        assert_eq!(revoked_sessions(&app), 0);
        assert_eq!(app.get("/api/me").bearer(&fresh).send().status, 200);
        // The refresh cookie it replaced, presented at refresh, is still a replay.
        refresh(&app, &jar, Some(jar.xsrf.value())).assert_error(401, "token_blacklisted");
        assert_eq!(revoked_sessions(&app), 1);
    }

    fn the_owners_logout_with_a_cookie_a_thief_refreshed_first_ends_the_session_and_clears_both(backend) {
        let app = cookie_app(backend);
        let (_, response) = login(&app);
        let owners = Jar::from(&response);
        // The thief copied both cookies and refreshed first, from elsewhere.
        let thiefs = Jar::from(&refresh(&app, &owners, Some(owners.xsrf.value())));
        let logout = app.post("/api/logout").header("Cookie", &owners.header())
            .header("X-XSRF-TOKEN", owners.xsrf.value()).send();
        assert_eq!(logout.status, 200, "{}", logout.text);
        let cleared = set_cookies(&logout);
        assert_eq!(cleared.len(), 2);
        assert!(cleared.iter().all(|c| c.value().is_empty() && c.max_age() == Some(actix_web::cookie::time::Duration::ZERO)));
        refresh(&app, &thiefs, Some(thiefs.xsrf.value())).assert_error(401, "token_blacklisted");
        let reasons: Vec<Option<String>> = app.query(|conn| sessions::table.select(sessions::revoked_reason).load(conn));
        assert_eq!(reasons, [Some("refresh_reuse".to_owned())]);
    }

    fn a_password_change_sets_both_cookies_for_the_renewed_session(backend) {
        let app = cookie_app(backend);
        let (_, response) = login(&app);
        let token = response.json()["access_token"].as_str().unwrap().to_owned();
        let old = Jar::from(&response);
        let changed = app.request("PUT", "/api/password").bearer(&token)
            .json(&json!({ "current_password": PASSWORD, "password": "a brand new passphrase", "password_confirmation": "a brand new passphrase" }))
            .send();
        let renewed = Jar::from(&changed);
        assert_eq!(renewed.refresh.value(), changed.json()["access_token"].as_str().unwrap());
        assert_max_age_near(&renewed.refresh, refresh_window(&app));
        refresh(&app, &old, Some(old.xsrf.value())).assert_error(401, "token_blacklisted");
        assert_eq!(refresh(&app, &renewed, Some(renewed.xsrf.value())).status, 200);
    }

    fn refresh_without_or_with_a_wrong_xsrf_header_is_419_and_the_token_stays_refreshable(backend) {
        let app = cookie_app(backend);
        let (_, response) = login(&app);
        let jar = Jar::from(&response);
        let (_, other) = login(&app);
        let other = Jar::from(&other);

        assert_csrf_mismatch(&refresh(&app, &jar, None));
        assert_csrf_mismatch(&refresh(&app, &jar, Some("")));
        assert_csrf_mismatch(&refresh(&app, &jar, Some("not-the-value")));
        // Another login's XSRF value is bound to another cookie.
        assert_csrf_mismatch(&refresh(&app, &jar, Some(other.xsrf.value())));
        assert!(blacklist(&app).is_empty());
        assert_eq!(revoked_sessions(&app), 0);

        let refreshed = refresh(&app, &jar, Some(jar.xsrf.value()));
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        assert_eq!(blacklist(&app).len(), 1);
    }

    fn a_foreign_origin_is_419_on_login_refresh_and_logout_whatever_else_is_right(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.cors_allowed_origins = vec!["http://spa.test".into()];
            enable(c);
        });
        let (_, response) = login(&app);
        let jar = Jar::from(&response);
        let sessions_before = app.query(|conn| sessions::table.count().get_result::<i64>(conn));

        let paths = ["/api/refresh", "/api/auth/refresh", "/api/refresh/", "//api/%72efresh", "/api/logout", "/api/auth/logout"];
        for (path, method) in paths.iter().flat_map(|p| [(p, "POST"), (p, "GET")]) {
            let response = app
                .request(method, path)
                .header("Cookie", &jar.header())
                .header("X-XSRF-TOKEN", jar.xsrf.value())
                .header("Origin", "https://evil.example")
                .send();
            assert_csrf_mismatch(&response);
        }
        for path in ["/api/login", "/api/signin", "/api/auth/login", "/api/auth/signin"] {
            let login_elsewhere = app
                .post(path)
                .header("Origin", "null")
                .json(&json!({ "email": "someone@example.com", "password": PASSWORD }))
                .send();
            assert_csrf_mismatch(&login_elsewhere);
        }
        assert!(blacklist(&app).is_empty());
        assert_eq!(revoked_sessions(&app), 0);
        assert_eq!(app.query(|conn| sessions::table.count().get_result::<i64>(conn)), sessions_before);

        // APP_URL's origin and a listed CORS origin are the SPA's own.
        for origin in [ISSUER, "http://spa.test"] {
            let jar = Jar::from(&login(&app).1);
            let response = app
                .post("/api/refresh")
                .header("Cookie", &jar.header())
                .header("X-XSRF-TOKEN", jar.xsrf.value())
                .header("Origin", origin)
                .send();
            assert_eq!(response.status, 200, "{origin}: {}", response.text);
        }
        // Other routes keep their own rules: CORS gives a foreign origin no access there.
        let health = app.get("/health").header("Origin", "https://evil.example").send();
        assert_eq!(health.status, 200, "{}", health.text);
        assert_eq!(health.header("access-control-allow-origin"), None);
    }

    fn cors_lets_a_listed_origin_send_the_cookie_and_the_xsrf_header(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.cors_allowed_origins = vec!["http://spa.test".into()];
            enable(c);
        });
        let preflight = app
            .request("OPTIONS", "/api/refresh")
            .header("Origin", "http://spa.test")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "x-xsrf-token")
            .send();
        assert_eq!(preflight.status, 200, "{}", preflight.text);
        assert_eq!(preflight.header("access-control-allow-origin"), Some("http://spa.test"));
        assert_eq!(preflight.header("access-control-allow-credentials"), Some("true"));
        let allowed = preflight.header("access-control-allow-headers").unwrap().to_ascii_lowercase();
        assert!(allowed.contains("x-xsrf-token"), "{allowed}");

        let jar = Jar::from(&login(&app).1);
        let response = app
            .post("/api/refresh")
            .header("Cookie", &jar.header())
            .header("X-XSRF-TOKEN", jar.xsrf.value())
            .header("Origin", "http://spa.test")
            .send();
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(blacklist(&app).len(), 1);
    }

    fn the_old_cookie_after_a_refresh_is_401(backend) {
        let app = cookie_app(backend);
        let jar = Jar::from(&login(&app).1);
        let next = Jar::from(&refresh(&app, &jar, Some(jar.xsrf.value())));

        refresh(&app, &jar, Some(jar.xsrf.value())).assert_error(401, "token_blacklisted");
        assert_eq!(blacklist(&app).len(), 1);
        let again = refresh(&app, &next, Some(next.xsrf.value()));
        assert_eq!(again.status, 200, "the new cookie still works: {}", again.text);
    }

    fn logout_with_the_cookie_clears_both_cookies_and_ends_the_session(backend) {
        let app = cookie_app(backend);
        let jar = Jar::from(&login(&app).1);

        let response = app
            .post("/api/logout")
            .header("Cookie", &jar.header())
            .header("X-XSRF-TOKEN", jar.xsrf.value())
            .send();

        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.json(), json!({ "status": "success", "message": "Successfully logged out" }));
        let cleared = set_cookies(&response);
        assert_eq!(cleared.len(), 2, "{cleared:?}");
        for cookie in &cleared {
            assert_eq!(cookie.value(), "");
            assert_eq!(cookie.max_age().unwrap().whole_seconds(), 0);
            assert_eq!(cookie.secure(), Some(true));
            assert_eq!(cookie.same_site(), Some(SameSite::Strict));
        }
        let path = |name: &str| cleared.iter().find(|c| c.name() == name).unwrap().path().map(str::to_owned);
        assert_eq!(path("refresh_token").as_deref(), Some("/api"));
        assert_eq!(path("XSRF-TOKEN").as_deref(), Some("/"));
        assert_eq!(revoked_sessions(&app), 1);
        assert_eq!(blacklist(&app).len(), 1);
        app.get("/api/me").bearer(jar.refresh.value()).send().assert_error(401, "token_blacklisted");
        refresh(&app, &jar, Some(jar.xsrf.value())).assert_error(401, "token_blacklisted");
    }

    fn logout_with_the_cookie_but_no_xsrf_header_is_419_and_ends_nothing(backend) {
        let app = cookie_app(backend);
        let jar = Jar::from(&login(&app).1);

        // The cookie wins over a header that comes with it, so the header cannot excuse a missing XSRF value.
        let response = app
            .post("/api/logout")
            .header("Cookie", &jar.header())
            .bearer(jar.refresh.value())
            .send();

        assert_csrf_mismatch(&response);
        assert_eq!(revoked_sessions(&app), 0);
        assert!(blacklist(&app).is_empty());
        assert_eq!(app.get("/api/me").bearer(jar.refresh.value()).send().status, 200);
    }

    fn logout_with_the_bearer_header_alone_also_clears_the_cookies(backend) {
        let app = cookie_app(backend);
        let jar = Jar::from(&login(&app).1);

        let response = app.post("/api/logout").bearer(jar.refresh.value()).send();

        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(set_cookies(&response).len(), 2);
        assert_eq!(revoked_sessions(&app), 1);
    }

    fn me_with_only_the_cookie_is_401_token_not_provided(backend) {
        let app = cookie_app(backend);
        let jar = Jar::from(&login(&app).1);

        let response = app
            .get("/api/me")
            .header("Cookie", &jar.header())
            .header("X-XSRF-TOKEN", jar.xsrf.value())
            .send();

        response.assert_error(401, "token_not_provided");
        assert_eq!(app.get("/api/sessions").header("Cookie", &jar.header()).send().status, 401);
    }

    fn refresh_in_cookie_mode_ignores_the_authorization_header(backend) {
        let app = cookie_app(backend);
        let jar = Jar::from(&login(&app).1);

        let response = app.post("/api/refresh").bearer(jar.refresh.value()).send();

        response.assert_error(401, "token_not_provided");
        assert!(blacklist(&app).is_empty());
    }

    fn without_cookie_mode_no_cookie_is_set_or_read(backend) {
        let app = TestApp::spawn(backend);
        let (_, response) = login(&app);
        assert_eq!(response.status, 200, "{}", response.text);
        assert!(set_cookies(&response).is_empty());
        let token = response.json()["access_token"].as_str().unwrap().to_owned();

        let refreshed = app
            .post("/api/refresh")
            .header("Cookie", &format!("refresh_token={token}"))
            .send();

        refreshed.assert_error(401, "token_not_provided");
        assert!(blacklist(&app).is_empty());
        let logout = app.post("/api/logout").bearer(&token).send();
        assert_eq!(logout.status, 200);
        assert!(set_cookies(&logout).is_empty());
    }
}
