//! The authorization code grant with PKCE (issue 24): `/oauth/authorize` and its pages driven as a
//! browser would (cookies kept, forms posted with their hidden fields), the code's exchange at
//! `/oauth/token`, and every refusal on both sides.

use diesel::prelude::*;
use jwt_auth_server::crypto::sha256_hex;
use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::OAuthClient;
use jwt_auth_server::schema::{oauth_consents, sessions};
use serde_json::{Value, json};

use crate::browser::{Browser, hidden_fields, pkce, redirected};
use crate::helpers::{ISSUER, PASSWORD, TestApp, TestResponse, claims_of};

const SPA: &str = "https://spa.example/callback";
const SECRET: &str = "the confidential client's secret";
const EMAIL: &str = "browser@example.com";

/// A client of the code grant; `public` without a secret. Its id.
fn client(app: &TestApp, public: bool, redirect_uris: &str, skip_consent: bool) -> String {
    let id = Id::now_v7();
    app.query(|conn| {
        OAuthClient::create(
            conn,
            &OAuthClient {
                id,
                name: "Shop SPA".into(),
                secret_hash: (!public).then(|| sha256_hex(SECRET.as_bytes())),
                grant_types: "authorization_code refresh_token".into(),
                scopes: "offline_access read write".into(),
                first_party: false,
                always_issue_refresh_token: false,
                created_at: db::now(),
                redirect_uris: redirect_uris.into(),
                resources: "https://orders.example".into(),
                skip_consent,
                post_logout_redirect_uris: String::new(),
            },
        )
    });
    id.to_string()
}

fn authorize_path(client_id: &str, challenge: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("state", "st-42"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("scope", "offline_access read"),
    ];
    params.extend_from_slice(extra);
    format!(
        "/oauth/authorize?{}",
        serde_urlencoded::to_string(&params).unwrap()
    )
}

/// Signs `browser` in through the page `page` (the sign-in form).
fn sign_in(browser: &Browser<'_>, page: &TestResponse) -> TestResponse {
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("name=\"password\""),
        "the sign-in form: {}",
        page.text
    );
    browser.submit(page, &[("email", EMAIL), ("password", PASSWORD)])
}

api_tests! {
    fn a_public_spa_signs_in_consents_and_redeems_its_code_once_then_consent_is_remembered(backend) {
        let app = TestApp::spawn(backend);
        app.register(EMAIL, PASSWORD);
        let client_id = client(&app, true, SPA, false);
        let browser = Browser::new(&app);
        let (verifier, challenge) = pkce();
        let page = browser.get(&authorize_path(&client_id, &challenge, &[]));
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        let csp = page.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"), "{csp}");
        assert!(!page.text.contains("<script"), "no script");
        let consent = sign_in(&browser, &page);
        assert_eq!(consent.status, 200, "{}", consent.text);
        assert!(consent.text.contains("Shop SPA") && consent.text.contains("<code>read</code>"), "{}", consent.text);
        let (to, answer) = redirected(&browser.submit(&consent, &[("decision", "allow")]));
        assert_eq!(to, SPA);
        assert_eq!((answer["state"].as_str(), answer["iss"].as_str()), ("st-42", ISSUER));
        let code = answer["code"].clone();

        let tokens = app.token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code), ("code_verifier", &verifier)]);
        assert_eq!(tokens.status, 200, "{}", tokens.text);
        let body = tokens.json();
        assert_eq!(body["scope"], "offline_access read");
        let access = body["access_token"].as_str().unwrap().to_owned();
        let claims = claims_of(&access);
        assert_eq!((claims["aud"].as_str(), claims["client_id"].as_str(), claims["acr"].as_str()), (Some(ISSUER), Some(client_id.as_str()), Some("1")));
        assert!(body["refresh_token"].is_string(), "offline_access: {body}");
        assert_eq!(app.get("/api/me").bearer(&access).send().json()["email"], EMAIL);

        // The same browser within ten minutes: no page at all, the grant is remembered.
        let (verifier2, challenge2) = pkce();
        let (_, again) = redirected(&browser.get(&authorize_path(&client_id, &challenge2, &[])));
        let second = app.token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &again["code"]), ("code_verifier", &verifier2)]);
        assert_eq!(second.status, 200, "{}", second.text);

        app.get("/api/consents").bearer(&access).send().assert_error(401, "token_invalid");
        let api_login = app.login(EMAIL, PASSWORD);
        let consents = app.get("/api/consents").bearer(&api_login).send().json();
        assert_eq!(consents["data"][0]["client_id"], client_id.as_str());
        assert_eq!((consents["data"][0]["client_name"].as_str(), consents["data"][0]["scopes"].as_str()), (Some("Shop SPA"), Some("offline_access read")));
        // A code issued but not redeemed dies with the consent.
        let (verifier3, challenge3) = pkce();
        let (_, pending) = redirected(&browser.get(&authorize_path(&client_id, &challenge3, &[])));
        assert_eq!(app.request("DELETE", &format!("/api/consents/{client_id}")).bearer(&api_login).send().status, 204);
        let late = app.token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &pending["code"]), ("code_verifier", &verifier3)]);
        assert_eq!(late.json()["error"], "invalid_grant");
        let open: i64 = app.query(|conn| sessions::table.filter(sessions::revoked_at.is_null()).filter(sessions::client_id.is_not_null()).count().get_result(conn));
        assert_eq!(open, 0, "the client's sessions ended");
        app.get("/api/me").bearer(&access).send().assert_error(401, "token_blacklisted");
        let remembered: i64 = app.query(|conn| oauth_consents::table.count().get_result(conn));
        assert_eq!(remembered, 0);
        app.request("DELETE", &format!("/api/consents/{client_id}")).bearer(&api_login).send().assert_error(404, "not_found");
        let (_, asked) = (0, browser.get(&authorize_path(&client_id, &pkce().1, &[])));
        assert_eq!(asked.status, 200, "consent is asked again");
        assert!(asked.text.contains("decision"));
    }

    fn a_confidential_client_that_skips_consent_gets_its_code_after_the_sign_in_and_must_authenticate(backend) {
        let app = TestApp::spawn(backend);
        app.register(EMAIL, PASSWORD);
        let client_id = client(&app, false, "https://app.example/cb http://127.0.0.1/callback", true);
        let browser = Browser::new(&app);
        let (verifier, challenge) = pkce();
        let loopback = "http://127.0.0.1:53682/callback";
        let page = browser.get(&authorize_path(&client_id, &challenge, &[("redirect_uri", loopback), ("resource", "https://orders.example")]));
        let (to, answer) = redirected(&sign_in(&browser, &page));
        assert_eq!(to, loopback, "the loopback port the app chose");
        let exchange_with = |secret: &str, redirect: &str| app.token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("client_secret", secret), ("code", &answer["code"]), ("code_verifier", &verifier), ("redirect_uri", redirect)]);
        assert_eq!(exchange_with("wrong", loopback).json()["error"], "invalid_client");
        let other_resource = app.token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("client_secret", SECRET), ("code", &answer["code"]), ("code_verifier", &verifier), ("redirect_uri", loopback), ("resource", ISSUER)]);
        assert_eq!(other_resource.json()["error"], "invalid_target", "RFC 8707: only the resource the code was granted");
        assert_eq!(exchange_with(SECRET, "http://127.0.0.1:9/callback").json()["error"], "invalid_grant", "the redirect_uri sent, exactly");
        let tokens = exchange_with(SECRET, loopback);
        assert_eq!(tokens.status, 200, "{}", tokens.text);
        assert_eq!(claims_of(tokens.json()["access_token"].as_str().unwrap())["aud"], "https://orders.example");
        let remembered: i64 = app.query(|conn| oauth_consents::table.count().get_result(conn));
        assert_eq!(remembered, 0, "no consent was asked, none remembered");
    }

    fn authorize_refuses_with_a_page_until_the_redirect_uri_is_trusted_and_by_redirect_after(backend) {
        let app = TestApp::spawn(backend);
        let client_id = client(&app, true, &format!("{SPA} https://spa.example/other"), false);
        let (_, challenge) = pkce();
        let browser = Browser::new(&app);
        for (path, why) in [
            (authorize_path(&Id::now_v7().to_string(), &challenge, &[("redirect_uri", SPA)]), "not known"),
            (authorize_path(&client_id, &challenge, &[("redirect_uri", "https://evil.example/cb")]), "not registered"),
            (authorize_path(&client_id, &challenge, &[]), "several"),
        ] {
            let page = browser.get(&path);
            assert_eq!(page.status, 400, "{path}");
            assert!(page.header("location").is_none() && page.text.contains(why), "{}", page.text);
        }
        let redirect = [("redirect_uri", SPA)];
        for (params, error) in [
            (vec![("code_challenge_method", "plain")], "invalid_request"),
            (vec![("response_type", "token")], "unsupported_response_type"),
            (vec![("scope", "admin")], "invalid_scope"),
            (vec![("resource", "https://billing.example")], "invalid_target"),
            (vec![("prompt", "none")], "login_required"),
        ] {
            let mut all: Vec<(&str, &str)> = redirect.to_vec();
            all.extend(params.iter().copied());
            let mut path = authorize_path(&client_id, &challenge, &[]);
            for (name, value) in &all {
                // A later value of the same name would be a parameter twice: replace instead.
                if path.contains(&format!("{name}=")) {
                    let parts: Vec<String> = path.split(['?', '&']).skip(1)
                        .map(|p| if p.starts_with(&format!("{name}=")) { format!("{name}={}", value) } else { p.to_owned() })
                        .collect();
                    path = format!("/oauth/authorize?{}", parts.join("&"));
                } else {
                    path.push_str(&format!("&{name}={}", serde_urlencoded::to_string([("v", value)]).unwrap().trim_start_matches("v=")));
                }
            }
            let (to, answer) = redirected(&browser.get(&path));
            assert_eq!(to, SPA);
            assert_eq!((answer["error"].as_str(), answer["state"].as_str(), answer["iss"].as_str()), (error, "st-42", ISSUER), "{path}");
        }
        let no_pkce = format!("/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&state=s", serde_urlencoded::to_string([("v", SPA)]).unwrap().trim_start_matches("v="));
        let (_, answer) = redirected(&browser.get(&no_pkce));
        assert_eq!(answer["error"], "invalid_request");
    }

    fn a_code_is_refused_with_a_wrong_verifier_late_or_for_another_client_and_twice_revokes_the_first_exchange(backend) {
        let app = TestApp::spawn(backend);
        app.register(EMAIL, PASSWORD);
        let client_id = client(&app, true, SPA, true);
        let other = client(&app, true, SPA, true);
        let browser = Browser::new(&app);
        let code_for = |challenge: &str| {
            let page = browser.get(&authorize_path(&client_id, challenge, &[]));
            let response = if page.status == 200 { sign_in(&browser, &page) } else { page };
            redirected(&response).1["code"].clone()
        };
        let (verifier, challenge) = pkce();
        let code = code_for(&challenge);
        let with = |client: &str, code: &str, verifier: Option<&str>| {
            let mut params = vec![("grant_type", "authorization_code"), ("client_id", client), ("code", code)];
            if let Some(verifier) = verifier { params.push(("code_verifier", verifier)); }
            app.token(&params)
        };
        assert_eq!(with(&client_id, &code, None).json()["error"], "invalid_request");
        assert_eq!(with(&client_id, &code, Some(&pkce().0)).json()["error"], "invalid_grant");
        assert_eq!(with(&other, &code, Some(&verifier)).json()["error"], "invalid_grant");
        let first = with(&client_id, &code, Some(&verifier));
        assert_eq!(first.status, 200, "{}", first.text);
        let access = first.json()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/me").bearer(&access).send().status, 200);
        let twice = with(&client_id, &code, Some(&verifier));
        assert_eq!((twice.status, twice.json()["error"].clone()), (400, json!("invalid_grant")));
        app.get("/api/me").bearer(&access).send().assert_error(401, "token_blacklisted");
        let reason: Option<String> = app.query(|conn| sessions::table.select(sessions::revoked_reason).first(conn));
        assert_eq!(reason.as_deref(), Some("code_reuse"));

        let (late_verifier, late_challenge) = pkce();
        let late = code_for(&late_challenge);
        app.execute("UPDATE oauth_auth_codes SET expires_at = created_at");
        assert_eq!(with(&client_id, &late, Some(&late_verifier)).json()["error"], "invalid_grant");
    }

    fn deny_prompt_none_and_a_form_without_its_token_are_refused(backend) {
        let app = TestApp::spawn(backend);
        app.register(EMAIL, PASSWORD);
        let client_id = client(&app, true, SPA, false);
        let browser = Browser::new(&app);
        let page = browser.get(&authorize_path(&client_id, &pkce().1, &[]));
        let forged = app.post("/oauth/authorize/sign-in").form(&serde_urlencoded::to_string([
            ("email", EMAIL), ("password", PASSWORD), ("request", &hidden_fields(&page.text)[1].1)]).unwrap()).send();
        assert_eq!(forged.status, 419, "no _token, no cookie: {}", forged.text);
        let consent = sign_in(&browser, &page);
        let (_, none) = redirected(&browser.get(&authorize_path(&client_id, &pkce().1, &[("prompt", "none")])));
        assert_eq!(none["error"], "consent_required", "signed in, but consent was never given");
        let mut tampered: Vec<(String, String)> = hidden_fields(&consent.text);
        tampered[0].1 = "not-the-token".into();
        tampered.push(("decision".into(), "allow".into()));
        let refused = browser.send(app.post("/oauth/authorize/consent").form(&serde_urlencoded::to_string(&tampered).unwrap()));
        assert_eq!(refused.status, 419);
        let (to, denied) = redirected(&browser.submit(&consent, &[("decision", "deny")]));
        assert_eq!((to.as_str(), denied["error"].as_str(), denied["state"].as_str()), (SPA, "access_denied", "st-42"));
        let remembered: i64 = app.query(|conn| oauth_consents::table.count().get_result(conn));
        assert_eq!(remembered, 0);
    }

    fn the_sign_in_page_asks_for_the_second_factor_and_counts_wrong_passwords_like_a_login(backend) {
        let app = TestApp::spawn_with(backend, |c| c.rate_limit.login_per_minute = 2);
        app.register(EMAIL, PASSWORD);
        let client_id = client(&app, true, SPA, true);
        let token = app.login(EMAIL, PASSWORD);
        let secret = app.post("/api/user/two-factor-authentication").bearer(&token).json(&json!({ "current_password": PASSWORD })).send().json()["secret"].as_str().unwrap().to_owned();
        let totp = totp_rs::Builder::new().with_secret(totp_rs::Secret::try_from_base32(&secret).unwrap()).build().unwrap();
        let step = crate::helpers::now() as u64 / 30;
        let confirmed = app.post("/api/user/confirmed-two-factor-authentication").bearer(&token).json(&json!({ "code": totp.generate(step * 30).to_string() })).send();
        assert_eq!(confirmed.status, 200, "{}", confirmed.text);

        // Wrong passwords count as failed logins of that account: 429 (a page) past the limit.
        app.register("locked@example.com", PASSWORD);
        let browser = Browser::new(&app);
        let (verifier, challenge) = pkce();
        let page = browser.get(&authorize_path(&client_id, &challenge, &[]));
        for _ in 0..2 {
            let wrong = browser.submit(&page, &[("email", "locked@example.com"), ("password", "not the password")]);
            assert_eq!(wrong.status, 401, "{}", wrong.text);
            assert!(wrong.text.contains("do not match"));
        }
        let locked = browser.submit(&page, &[("email", "locked@example.com"), ("password", "not the password")]);
        assert_eq!(locked.status, 429, "{}", locked.text);
        assert!(locked.header("retry-after").is_some());
        assert!(locked.header("content-type").unwrap().starts_with("text/html"));

        let code_page = sign_in(&browser, &page);
        assert_eq!(code_page.status, 200, "{}", code_page.text);
        // Login CSRF: the attacker's own challenge and form token, posted from another browser
        // (no cookie of this page), must not sign that browser in as the attacker.
        let planted = app.post("/oauth/authorize/two-factor")
            .form(&serde_urlencoded::to_string(hidden_fields(&code_page.text).into_iter()
                .chain([("code".to_owned(), totp.generate((step + 1) * 30).to_string())]).collect::<Vec<_>>()).unwrap())
            .send();
        assert_eq!(planted.status, 419, "{}", planted.text);
        assert!(planted.header("set-cookie").is_none(), "no sign-in cookie is planted");
        assert!(code_page.text.contains("name=\"code\""), "the two-factor step: {}", code_page.text);
        let wrong = browser.submit(&code_page, &[("recovery_code", "AAAAA-AAAAA")]);
        assert_eq!(wrong.status, 422, "{}", wrong.text);
        let (_, answer) = redirected(&browser.submit(&code_page, &[("code", &totp.generate((step + 1) * 30).to_string())]));
        let tokens = app.token(&[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &answer["code"]), ("code_verifier", &verifier)]);
        let claims = claims_of(tokens.json()["access_token"].as_str().unwrap());
        assert_eq!((claims["amr"].clone(), claims["acr"].clone()), (json!(["pwd", "otp", "mfa"]), json!("2")));
    }

    fn the_metadata_names_the_authorization_endpoint_and_pkce(backend) {
        let app = TestApp::spawn(backend);
        let meta: Value = app.get("/.well-known/oauth-authorization-server").send().json();
        assert_eq!(meta["authorization_endpoint"], format!("{ISSUER}/oauth/authorize"));
        assert_eq!(meta["response_types_supported"], json!(["code"]));
        assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
        assert_eq!(meta["grant_types_supported"], json!(["authorization_code", "refresh_token", "client_credentials", "password"]));
    }

    fn the_pages_words_come_from_oauth_views(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.oauth.page_text = jwt_auth_server::config::PageText { sign_in_title: "Welcome to Acme".into(), ..Default::default() };
        });
        let client_id = client(&app, true, SPA, false);
        let page = app.get(&authorize_path(&client_id, &pkce().1, &[])).send();
        assert!(page.text.contains("<h1>Welcome to Acme</h1>"), "{}", page.text);
    }
}
