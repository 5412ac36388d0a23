//! OpenID Connect (issue 25): discovery, ID tokens from the code flow and its refreshes, UserInfo,
//! `max_age` and `prompt`, keys rotating under ID tokens, RP-initiated logout, and an HS256 server
//! that refuses `openid`.

use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use jsonwebtoken::{DecodingKey, Validation};
use jwt_auth_server::config::Algo;
use jwt_auth_server::crypto::sha256_hex;
use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::{OAuthClient, SigningKey};
use jwt_auth_server::schema::{oauth_auth_codes, oauth_authorization_sessions, sessions};
use serde_json::{Value, json};

use crate::browser::{Browser, pkce, redirected};
use crate::helpers::{ISSUER, PASSWORD, TestApp, TestResponse, claims_of, header_of};
use crate::keys::{jwks, rotate, with_algo};

const RP: &str = "https://rp.example/callback";
const SIGNED_OUT: &str = "https://rp.example/signed-out";
const EMAIL: &str = "oidc@example.com";

/// A public client of the code flow that may ask for the OpenID scopes, skips consent, and may be
/// sent back to [`SIGNED_OUT`] after logout. Its id.
fn relying_party(app: &TestApp, scopes: &str) -> String {
    let id = Id::now_v7();
    app.query(|conn| {
        OAuthClient::create(
            conn,
            &OAuthClient {
                id,
                name: "Relying Party".into(),
                secret_hash: None,
                grant_types: "authorization_code refresh_token".into(),
                scopes: scopes.into(),
                first_party: false,
                always_issue_refresh_token: false,
                created_at: db::now(),
                redirect_uris: RP.into(),
                resources: String::new(),
                skip_consent: true,
                post_logout_redirect_uris: SIGNED_OUT.into(),
            },
        )
    });
    id.to_string()
}

fn authorize_path(client_id: &str, challenge: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", RP),
        ("state", "st-7"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("scope", scope),
    ];
    params.extend_from_slice(extra);
    format!(
        "/oauth/authorize?{}",
        serde_urlencoded::to_string(&params).unwrap()
    )
}

/// Whether `response` is the sign-in form.
fn is_sign_in_form(response: &TestResponse) -> bool {
    response.status == 200 && response.text.contains("name=\"password\"")
}

/// Runs the code flow in `browser` (signing in when the page asks) and redeems the code: the
/// token response.
fn code_flow(
    app: &TestApp,
    browser: &Browser<'_>,
    client_id: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> Value {
    let (verifier, challenge) = pkce();
    let mut answer = browser.get(&authorize_path(client_id, &challenge, scope, extra));
    if is_sign_in_form(&answer) {
        answer = browser.submit(&answer, &[("email", EMAIL), ("password", PASSWORD)]);
    }
    let (to, params) = redirected(&answer);
    assert_eq!(to, RP);
    let tokens = app.token(&[
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", &params["code"]),
        ("code_verifier", &verifier),
        ("redirect_uri", RP),
    ]);
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    tokens.json()
}

/// The claims of `id_token` verified as a relying party would: signature by the JWKS key its
/// `kid` names, `iss`, `aud` = `client_id`, `exp`.
fn verified(app: &TestApp, id_token: &str, client_id: &str) -> Value {
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let set = jwks(app);
    let jwk = set
        .find(header.kid.as_deref().unwrap())
        .expect("its key is published");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[client_id]);
    jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

/// OpenID Connect Core §3.1.3.6 for ES256: the left half of SHA-256, base64url.
fn at_hash(access_token: &str) -> String {
    let hash = digest::digest(&digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16])
}

fn es256(app_backend: crate::helpers::Backend) -> TestApp {
    TestApp::spawn_with(app_backend, with_algo(Algo::ES256))
}

api_tests! {
    fn discovery_names_every_endpoint_and_what_an_openid_provider_supports(backend) {
        let app = es256(backend);
        let response = app.get("/.well-known/openid-configuration").send();
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.header("cache-control"), Some("public, max-age=300"));
        let meta = response.json();
        assert_eq!(meta["issuer"], ISSUER);
        for (field, path) in [("authorization_endpoint", "/oauth/authorize"), ("token_endpoint", "/oauth/token"),
                              ("userinfo_endpoint", "/oauth/userinfo"), ("jwks_uri", "/.well-known/jwks.json"),
                              ("end_session_endpoint", "/oauth/logout"), ("revocation_endpoint", "/oauth/revoke"),
                              ("introspection_endpoint", "/oauth/introspect")] {
            assert_eq!(meta[field], format!("{ISSUER}{path}"), "{field}");
        }
        assert_eq!(meta["response_types_supported"], json!(["code"]));
        assert_eq!(meta["subject_types_supported"], json!(["public"]));
        assert_eq!(meta["id_token_signing_alg_values_supported"], json!(["ES256"]));
        assert_eq!(meta["scopes_supported"], json!(["openid", "profile", "email", "offline_access"]));
        assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
        let claims: Vec<&str> = meta["claims_supported"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        for claim in ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "name", "email", "email_verified", "updated_at"] {
            assert!(claims.contains(&claim), "{claim} in {claims:?}");
        }
        for field in ["grant_types_supported", "token_endpoint_auth_methods_supported"] {
            assert!(meta[field].as_array().is_some_and(|a| !a.is_empty()), "{field}");
        }
        assert_eq!(app.get("/.well-known/oauth-authorization-server").send().json(), meta, "one document at both addresses");
        let etag = response.header("etag").unwrap().to_owned();
        let again = app.get("/.well-known/openid-configuration").header("If-None-Match", &etag).send();
        assert_eq!((again.status, again.text.as_str()), (304, ""));
    }

    fn the_code_flow_with_openid_profile_email_answers_an_id_token_and_a_refresh_keeps_its_sign_in(backend) {
        let app = es256(backend);
        let user = app.register(EMAIL, PASSWORD);
        let client_id = relying_party(&app, "openid profile email offline_access");
        let browser = Browser::new(&app);
        let nonce = "n-0S6_WzA2Mj";
        let tokens = code_flow(&app, &browser, &client_id, "openid profile email offline_access", &[("nonce", nonce)]);
        let access = tokens["access_token"].as_str().unwrap();
        let id_token = tokens["id_token"].as_str().expect("an ID token");
        let claims = verified(&app, id_token, &client_id);
        let access_claims = claims_of(access);
        assert_eq!(claims["sub"], user["id"]);
        assert_eq!((claims["nonce"].as_str(), claims["at_hash"].as_str()), (Some(nonce), Some(at_hash(access).as_str())));
        assert_eq!((&claims["sid"], &claims["amr"], &claims["acr"]), (&access_claims["sid"], &json!(["pwd"]), &json!("1")));
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300);
        assert_eq!((claims["name"].as_str(), claims["email"].as_str(), claims["email_verified"].as_bool()), (Some("Test User"), Some(EMAIL), Some(false)));
        assert!(claims["updated_at"].is_i64() && claims["auth_time"].is_i64(), "{claims}");
        let signed_in_at: chrono::NaiveDateTime = app.query(|conn| oauth_authorization_sessions::table.select(oauth_authorization_sessions::created_at).first(conn));
        assert_eq!(claims["auth_time"], signed_in_at.and_utc().timestamp(), "the browser's sign-in, not the exchange");
        let sid: Id = serde_json::from_value(access_claims["sid"].clone()).unwrap();
        let session_start: chrono::NaiveDateTime = app.query(|conn| sessions::table.find(sid).select(sessions::created_at).first(conn));
        assert_eq!(session_start, signed_in_at, "the session keeps when its login began");
        // An ID token is not an access token anywhere.
        app.get("/api/me").bearer(id_token).send().assert_error(401, "token_invalid");

        let refreshed = app.token(&[("grant_type", "refresh_token"), ("client_id", &client_id),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap())]);
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        let refreshed = refreshed.json();
        let renewed = verified(&app, refreshed["id_token"].as_str().unwrap(), &client_id);
        assert_eq!((&renewed["auth_time"], &renewed["sid"], &renewed["sub"]), (&claims["auth_time"], &claims["sid"], &claims["sub"]));
        assert!(renewed.get("nonce").is_none(), "no nonce after a refresh: {renewed}");
        assert_eq!(renewed["at_hash"], at_hash(refreshed["access_token"].as_str().unwrap()));

        // Narrowed to leave openid out: no ID token.
        let narrowed = app.token(&[("grant_type", "refresh_token"), ("client_id", &client_id),
            ("refresh_token", refreshed["refresh_token"].as_str().unwrap()), ("scope", "offline_access")]);
        assert_eq!(narrowed.status, 200, "{}", narrowed.text);
        assert!(narrowed.json().get("id_token").is_none(), "{}", narrowed.text);
    }

    fn userinfo_answers_the_claims_each_scope_allows_and_403_without_openid(backend) {
        let app = es256(backend);
        let user = app.register(EMAIL, PASSWORD);
        let sub = user["id"].clone();
        let full = relying_party(&app, "openid profile email read");
        let browser = Browser::new(&app);
        let tokens = code_flow(&app, &browser, &full, "openid profile email", &[]);
        let access = tokens["access_token"].as_str().unwrap();
        let info = app.get("/oauth/userinfo").bearer(access).send();
        assert_eq!(info.status, 200, "{}", info.text);
        assert_eq!(info.header("cache-control"), Some("no-store"));
        let id_claims = verified(&app, tokens["id_token"].as_str().unwrap(), &full);
        let body = info.json();
        for claim in ["sub", "name", "email", "email_verified", "updated_at"] {
            assert_eq!(body[claim], id_claims[claim], "{claim}: the ID token's value");
        }
        let posted = app.post("/oauth/userinfo").bearer(access).send();
        assert_eq!(posted.json(), body, "POST answers the same");
        // A token granted for another resource server still reads UserInfo (Core §5.3).
        app.execute("UPDATE oauth_clients SET resources = 'https://orders.example'");
        let elsewhere = code_flow(&app, &browser, &full, "openid email", &[("resource", "https://orders.example")]);
        let elsewhere = elsewhere["access_token"].as_str().unwrap();
        assert_eq!(claims_of(elsewhere)["aud"], "https://orders.example");
        assert_eq!(app.get("/oauth/userinfo").bearer(elsewhere).send().json()["email"], EMAIL);
        app.get("/api/me").bearer(elsewhere).send().assert_error(401, "token_invalid");

        let only = code_flow(&app, &browser, &full, "openid", &[]);
        let bare = app.get("/oauth/userinfo").bearer(only["access_token"].as_str().unwrap()).send().json();
        assert_eq!(bare, json!({"sub": sub}), "openid alone: sub only");
        let email_only = code_flow(&app, &browser, &full, "openid email", &[]);
        let mailed = app.get("/oauth/userinfo").bearer(email_only["access_token"].as_str().unwrap()).send().json();
        assert_eq!(mailed, json!({"sub": sub, "email": EMAIL, "email_verified": false}));

        let without = code_flow(&app, &browser, &full, "read", &[]);
        assert!(without.get("id_token").is_none(), "no openid, no ID token");
        let refused = app.get("/oauth/userinfo").bearer(without["access_token"].as_str().unwrap()).send();
        refused.assert_error(403, "insufficient_scope");
        assert_eq!(refused.header("www-authenticate"), Some(r#"Bearer error="insufficient_scope""#));
        let api_login = app.login(EMAIL, PASSWORD);
        app.get("/oauth/userinfo").bearer(&api_login).send().assert_error(403, "insufficient_scope");
        app.get("/oauth/userinfo").send().assert_error(401, "token_not_provided");
    }

    fn max_age_and_prompt_decide_whether_the_browser_signs_in_again(backend) {
        let app = es256(backend);
        app.register(EMAIL, PASSWORD);
        let client_id = relying_party(&app, "openid offline_access");
        let stranger = Browser::new(&app);
        let (_, challenge) = pkce();
        let (_, refused) = redirected(&stranger.get(&authorize_path(&client_id, &challenge, "openid", &[("prompt", "none")])));
        assert_eq!((refused["error"].as_str(), refused["state"].as_str()), ("login_required", "st-7"));

        let browser = Browser::new(&app);
        let first = verified(&app, code_flow(&app, &browser, &client_id, "openid", &[])["id_token"].as_str().unwrap(), &client_id);
        // The sign-in began five minutes ago.
        let moved = db::now() - chrono::Duration::minutes(5);
        app.execute(&format!("UPDATE oauth_authorization_sessions SET created_at = '{}'", moved.format("%Y-%m-%d %H:%M:%S%.6f")));
        let silent = code_flow(&app, &browser, &client_id, "openid", &[("prompt", "none"), ("max_age", "600")]);
        let silent = verified(&app, silent["id_token"].as_str().unwrap(), &client_id);
        assert_eq!(silent["auth_time"], moved.and_utc().timestamp(), "a young enough sign-in needs no page; auth_time is its time");
        let (_, challenge) = pkce();
        let (_, stale) = redirected(&browser.get(&authorize_path(&client_id, &challenge, "openid", &[("prompt", "none"), ("max_age", "60")])));
        assert_eq!(stale["error"], "login_required", "older than max_age");
        let (_, challenge) = pkce();
        let asked = browser.get(&authorize_path(&client_id, &challenge, "openid", &[("max_age", "60")]));
        assert!(is_sign_in_form(&asked), "max_age passed: the form again: {}", asked.text);
        for extra in [[("max_age", "0")], [("prompt", "login")]] {
            let (_, challenge) = pkce();
            assert!(is_sign_in_form(&browser.get(&authorize_path(&client_id, &challenge, "openid", &extra))), "{extra:?}");
        }
        let again = verified(&app, code_flow(&app, &browser, &client_id, "openid", &[("max_age", "0")])["id_token"].as_str().unwrap(), &client_id);
        assert!(again["auth_time"].as_i64().unwrap() >= first["auth_time"].as_i64().unwrap(), "a new sign-in: {again} after {first}");
        assert!(again["auth_time"].as_i64().unwrap() > moved.and_utc().timestamp());
        let signed_in: i64 = app.query(|conn| oauth_authorization_sessions::table.count().get_result(conn));
        assert_eq!(signed_in, 2, "max_age=0 made a new sign-in");
        let (_, challenge) = pkce();
        let (_, malformed) = redirected(&browser.get(&authorize_path(&client_id, &challenge, "openid", &[("max_age", "soon")])));
        assert_eq!(malformed["error"], "invalid_request");
    }

    fn an_id_token_verifies_across_a_rotation_and_not_after_its_key_is_retired(backend) {
        let app = es256(backend);
        app.register(EMAIL, PASSWORD);
        let client_id = relying_party(&app, "openid");
        let browser = Browser::new(&app);
        let id_token = code_flow(&app, &browser, &client_id, "openid", &[])["id_token"].as_str().unwrap().to_owned();
        let old_kid = header_of(&id_token)["kid"].as_str().unwrap().to_owned();
        let new_kid = rotate(&app);
        let deadline = Instant::now() + Duration::from_secs(10);
        let renewed = loop {
            let token = code_flow(&app, &browser, &client_id, "openid", &[])["id_token"].as_str().unwrap().to_owned();
            if header_of(&token)["kid"] == new_kid.as_str() {
                break token;
            }
            assert!(Instant::now() < deadline, "the rotation never reached the server");
            std::thread::sleep(Duration::from_millis(100));
        };
        verified(&app, &id_token, &client_id);
        verified(&app, &renewed, &client_id);
        assert!(app.query(|conn| SigningKey::retire(conn, &old_kid, db::now())));
        while jwks(&app).find(&old_kid).is_some() {
            assert!(Instant::now() < deadline, "the retirement never reached the server");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(jwks(&app).find(&new_kid).is_some());
        let hint = app.get(&format!("/oauth/logout?id_token_hint={id_token}")).send();
        assert_eq!(hint.status, 400, "a retired key's ID token is no hint: {}", hint.text);
        assert_eq!(app.get(&format!("/oauth/logout?id_token_hint={renewed}")).send().status, 200);
    }

    fn logout_ends_the_hinted_session_and_the_browser_sign_in_and_redirects_only_where_registered(backend) {
        let app = es256(backend);
        app.register(EMAIL, PASSWORD);
        let client_id = relying_party(&app, "openid offline_access");
        let browser = Browser::new(&app);
        let tokens = code_flow(&app, &browser, &client_id, "openid offline_access", &[]);
        let (access, id_token) = (tokens["access_token"].as_str().unwrap(), tokens["id_token"].as_str().unwrap());
        let query = serde_urlencoded::to_string([("id_token_hint", id_token), ("post_logout_redirect_uri", SIGNED_OUT), ("state", "bye-1")]).unwrap();
        let out = browser.get(&format!("/oauth/logout?{query}"));
        assert_eq!(out.status, 302, "{}", out.text);
        assert_eq!(out.header("location"), Some(format!("{SIGNED_OUT}?state=bye-1").as_str()));
        app.get("/oauth/userinfo").bearer(access).send().assert_error(401, "token_blacklisted");
        let refreshed = app.token(&[("grant_type", "refresh_token"), ("client_id", &client_id), ("refresh_token", tokens["refresh_token"].as_str().unwrap())]);
        assert_eq!(refreshed.json()["error"], "invalid_grant", "the session's refresh token ended too");
        let sid: Id = serde_json::from_value(claims_of(access)["sid"].clone()).unwrap();
        let reason: Option<String> = app.query(|conn| sessions::table.find(sid).select(sessions::revoked_reason).first(conn));
        assert_eq!(reason.as_deref(), Some("logout"));
        let browsers: i64 = app.query(|conn| oauth_authorization_sessions::table.count().get_result(conn));
        assert_eq!(browsers, 0, "the browser's sign-in is gone");
        let (_, challenge) = pkce();
        assert!(is_sign_in_form(&browser.get(&authorize_path(&client_id, &challenge, "openid", &[]))), "the next authorize asks to sign in");

        // An unregistered URI: signed out all the same, and a page instead of a redirect.
        let tokens = code_flow(&app, &browser, &client_id, "openid", &[]);
        let query = serde_urlencoded::to_string([("id_token_hint", tokens["id_token"].as_str().unwrap()), ("post_logout_redirect_uri", "https://evil.example/")]).unwrap();
        let page = browser.get(&format!("/oauth/logout?{query}"));
        assert_eq!((page.status, page.header("location")), (200, None));
        assert!(page.text.contains("signed out"), "{}", page.text);
        app.get("/oauth/userinfo").bearer(tokens["access_token"].as_str().unwrap()).send().assert_error(401, "token_blacklisted");
        // A client_id that is not the hint's audience, and a hint that is no ID token, change nothing.
        let tokens = code_flow(&app, &browser, &client_id, "openid", &[]);
        let other = relying_party(&app, "openid");
        let query = serde_urlencoded::to_string([("id_token_hint", tokens["id_token"].as_str().unwrap()), ("client_id", &other)]).unwrap();
        assert_eq!(app.get(&format!("/oauth/logout?{query}")).send().status, 400);
        let hint = tokens["access_token"].as_str().unwrap();
        assert_eq!(app.get(&format!("/oauth/logout?id_token_hint={hint}")).send().status, 400, "an access token is no hint");
        assert_eq!(app.get("/oauth/userinfo").bearer(hint).send().status, 200, "still signed in");
        // Without a hint the user confirms first, on a form bound to the browser's sign-in; then a
        // registered URI of the named client is used.
        let query = serde_urlencoded::to_string([("client_id", client_id.as_str()), ("post_logout_redirect_uri", SIGNED_OUT), ("state", "s-9")]).unwrap();
        let asked = browser.get(&format!("/oauth/logout?{query}"));
        assert_eq!((asked.status, asked.header("location")), (200, None));
        assert!(asked.text.contains("Do you want to sign out?"), "{}", asked.text);
        let browsers: i64 = app.query(|conn| oauth_authorization_sessions::table.count().get_result(conn));
        assert_eq!(browsers, 1, "nothing ends before the answer");
        let forged = browser.send(app.post("/oauth/logout").form(&format!("{query}&_token=forged")));
        assert_eq!((forged.status, forged.header("location")), (200, None), "a post without the page's token is asked again");
        let browsers: i64 = app.query(|conn| oauth_authorization_sessions::table.count().get_result(conn));
        assert_eq!(browsers, 1);
        let confirmed = browser.submit(&asked, &[]);
        assert_eq!(confirmed.status, 302, "{}", confirmed.text);
        assert_eq!(confirmed.header("location"), Some(format!("{SIGNED_OUT}?state=s-9").as_str()));
        let browsers: i64 = app.query(|conn| oauth_authorization_sessions::table.count().get_result(conn));
        assert_eq!(browsers, 0);
    }

    fn an_hs256_server_advertises_no_id_token_algorithm_and_refuses_openid(backend) {
        let app = TestApp::spawn(backend);
        app.register(EMAIL, PASSWORD);
        let meta = app.get("/.well-known/openid-configuration").send().json();
        assert_eq!(meta["id_token_signing_alg_values_supported"], json!([]));
        assert_eq!(meta["scopes_supported"], json!([]));
        let client_id = relying_party(&app, "openid offline_access");
        let browser = Browser::new(&app);
        let (_, challenge) = pkce();
        let (to, refused) = redirected(&browser.get(&authorize_path(&client_id, &challenge, "openid", &[])));
        assert_eq!(to, RP);
        assert_eq!((refused["error"].as_str(), refused["error_description"].as_str()),
                   ("invalid_scope", "openid needs an asymmetric JWT_ALGO and a URL issuer"));
        let codes: i64 = app.query(|conn| oauth_auth_codes::table.count().get_result(conn));
        assert_eq!(codes, 0);
        // The password grant of a first-party client says the same.
        let first_party = Id::now_v7();
        app.query(|conn| OAuthClient::create(conn, &OAuthClient {
            id: first_party, name: "App".into(), secret_hash: Some(sha256_hex(b"s3cret")), grant_types: "password refresh_token".into(),
            scopes: "openid".into(), first_party: true, always_issue_refresh_token: false, created_at: db::now(),
            redirect_uris: String::new(), resources: String::new(), skip_consent: false, post_logout_redirect_uris: String::new(),
        }));
        let answer = app.token(&[("grant_type", "password"), ("client_id", &first_party.to_string()), ("client_secret", "s3cret"),
            ("username", EMAIL), ("password", PASSWORD), ("scope", "openid")]);
        assert_eq!(answer.status, 400);
        assert_eq!(answer.json(), json!({"error": "invalid_scope", "error_description": "openid needs an asymmetric JWT_ALGO and a URL issuer"}));
        let started: i64 = app.query(|conn| sessions::table.count().get_result(conn));
        assert_eq!(started, 0);
    }

    fn an_issuer_other_than_app_url_turns_openid_off(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.jwt.algo = Algo::ES256;
            c.jwt.issuer = "https://auth.example".into();
        });
        let meta = app.get("/.well-known/openid-configuration").send().json();
        assert_eq!(meta["id_token_signing_alg_values_supported"], json!([]), "discovery is not at the issuer's address");
        let client_id = relying_party(&app, "openid");
        let (_, challenge) = pkce();
        let (_, refused) = redirected(&Browser::new(&app).get(&authorize_path(&client_id, &challenge, "openid", &[])));
        assert_eq!(refused["error_description"], "openid needs JWT_ISSUER to be APP_URL, where discovery is served");
    }

    fn the_password_grant_with_openid_answers_an_id_token_of_that_sign_in(backend) {
        let app = es256(backend);
        app.register(EMAIL, PASSWORD);
        let client_id = Id::now_v7();
        app.query(|conn| OAuthClient::create(conn, &OAuthClient {
            id: client_id, name: "App".into(), secret_hash: Some(sha256_hex(b"s3cret")), grant_types: "password refresh_token client_credentials".into(),
            scopes: "openid email".into(), first_party: true, always_issue_refresh_token: false, created_at: db::now(),
            redirect_uris: String::new(), resources: String::new(), skip_consent: false, post_logout_redirect_uris: String::new(),
        }));
        let answer = app.token(&[("grant_type", "password"), ("client_id", &client_id.to_string()), ("client_secret", "s3cret"),
            ("username", EMAIL), ("password", PASSWORD), ("scope", "openid email")]);
        assert_eq!(answer.status, 200, "{}", answer.text);
        let body = answer.json();
        let claims = verified(&app, body["id_token"].as_str().unwrap(), &client_id.to_string());
        assert_eq!((claims["email"].as_str(), claims["auth_time"].as_i64()), (Some(EMAIL), claims["iat"].as_i64()));
        assert!(claims.get("nonce").is_none() && claims.get("name").is_none(), "{claims}");
        // A client acting for itself has no user to tell of.
        let own = app.token(&[("grant_type", "client_credentials"), ("client_id", &client_id.to_string()), ("client_secret", "s3cret")]);
        assert_eq!(own.status, 200, "{}", own.text);
        assert_eq!(own.json()["scope"], "email");
        assert!(own.json().get("id_token").is_none());
        let asked = app.token(&[("grant_type", "client_credentials"), ("client_id", &client_id.to_string()), ("client_secret", "s3cret"), ("scope", "openid")]);
        assert_eq!(asked.json()["error"], "invalid_scope");
    }
}
