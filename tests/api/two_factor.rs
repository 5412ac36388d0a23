//! Two-factor sign-in (issue 23): enrolment, the login challenge, codes accepted once, recovery
//! codes, the limits, step-up, the OAuth password grant's `otp`, and `amr`/`acr` on every token.
//! Codes are computed here from the secret the server gave, for explicit time steps: the server
//! accepts one step either side of its own, so a test uses the step it started in and the next.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::OAuthClient;
use jwt_auth_server::schema::{sessions, two_factor_challenges, two_factor_recovery_codes, users};
use serde_json::{Value, json};
use totp_rs::{Builder, Secret};

use crate::helpers::{PASSWORD, TestApp, TestResponse, claims_of, logged, now};

const INVALID_CODE: &str = "The provided two factor authentication code was invalid.";

/// The code of `secret` (base32) for time step `step`.
fn code(secret: &str, step: i64) -> String {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    totp.generate(step as u64 * 30).to_string()
}

/// A six-digit code that is none of the codes of `secret` around `step`.
fn wrong_code(secret: &str, step: i64) -> String {
    let near: Vec<String> = (step - 2..=step + 3).map(|s| code(secret, s)).collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|candidate| !near.contains(candidate))
        .unwrap()
}

fn step_now() -> i64 {
    now() / 30
}

/// A user who turned two-factor on with the code of `step`.
struct Enrolled {
    user_id: String,
    email: String,
    /// The token of the login that enrolled (a password-only session).
    token: String,
    secret: String,
    recovery_codes: Vec<String>,
    /// The step whose code confirmed the secret: used up.
    step: i64,
}

fn enrolled(app: &TestApp) -> Enrolled {
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    let user = app.register(&email, PASSWORD);
    let token = app.login(&email, PASSWORD);
    let enable = app
        .post("/api/user/two-factor-authentication")
        .bearer(&token)
        .json(&json!({ "current_password": PASSWORD }))
        .send();
    assert_eq!(enable.status, 200, "{}", enable.text);
    let secret = enable.json()["secret"].as_str().unwrap().to_owned();
    let step = step_now();
    let confirmed = app
        .post("/api/user/confirmed-two-factor-authentication")
        .bearer(&token)
        .json(&json!({ "code": code(&secret, step) }))
        .send();
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let recovery_codes = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    Enrolled {
        user_id: user["id"].as_str().unwrap().to_owned(),
        email,
        token,
        secret,
        recovery_codes,
        step,
    }
}

/// The challenge token of a right password.
fn challenged(app: &TestApp, email: &str) -> String {
    let response = app
        .post("/api/login")
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send();
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    assert_eq!(body["two_factor"], true, "{body}");
    body["challenge_token"].as_str().unwrap().to_owned()
}

fn answer(app: &TestApp, challenge: &str, factor: Value) -> TestResponse {
    let mut body = json!({ "challenge_token": challenge });
    body.as_object_mut()
        .unwrap()
        .extend(factor.as_object().unwrap().clone());
    app.post("/api/two-factor-challenge").json(&body).send()
}

fn user_row(
    app: &TestApp,
    id: &str,
) -> (Option<String>, Option<chrono::NaiveDateTime>, Option<i64>) {
    let id = Id(uuid::Uuid::parse_str(id).unwrap());
    app.query(|conn| {
        users::table
            .find(id)
            .select((
                users::two_factor_secret,
                users::two_factor_confirmed_at,
                users::two_factor_last_step,
            ))
            .first(conn)
    })
}

fn open_sessions(app: &TestApp, id: &str) -> Vec<String> {
    let id = Id(uuid::Uuid::parse_str(id).unwrap());
    app.query(|conn| {
        sessions::table
            .filter(sessions::user_id.eq(id))
            .filter(sessions::revoked_at.is_null())
            .select(sessions::amr)
            .order(sessions::created_at)
            .load(conn)
    })
}

fn unused_recovery_codes(app: &TestApp, id: &str) -> i64 {
    let id = Id(uuid::Uuid::parse_str(id).unwrap());
    app.query(|conn| {
        two_factor_recovery_codes::table
            .filter(two_factor_recovery_codes::user_id.eq(id))
            .filter(two_factor_recovery_codes::used_at.is_null())
            .count()
            .get_result(conn)
    })
}

api_tests! {
    fn enrolment_takes_the_password_then_a_right_code_and_shows_eight_recovery_codes_once(backend) {
        let app = TestApp::spawn(backend);
        let email = "two@example.com";
        let user = app.register(email, PASSWORD);
        let id = user["id"].as_str().unwrap();
        let token = app.login(email, PASSWORD);
        let enable = |body: Value| app.post("/api/user/two-factor-authentication").bearer(&token).json(&body).send();
        enable(json!({})).assert_error(422, "validation_failed");
        let wrong = enable(json!({ "current_password": "not the password" }));
        assert_eq!(wrong.json()["errors"]["current_password"][0], "The password is incorrect.");
        assert_eq!(user_row(&app, id).0, None, "nothing stored before the password");

        let first = enable(json!({ "current_password": PASSWORD }));
        assert_eq!(first.status, 200, "{}", first.text);
        assert_eq!(first.header("cache-control"), Some("no-store"));
        let again = enable(json!({ "current_password": PASSWORD })).json();
        let secret = again["secret"].as_str().unwrap();
        assert_ne!(first.json()["secret"], again["secret"], "a second call replaces the pending secret");
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let url = again["otpauth_url"].as_str().unwrap();
        assert!(url.starts_with("otpauth://totp/jwt-auth-server:two%40example.com?"), "{url}");
        assert!(url.contains(&format!("secret={secret}")) && url.contains("issuer=jwt-auth-server"), "{url}");
        assert!(again["qr_svg"].as_str().unwrap().starts_with("<?xml"), "an SVG");
        let (stored, confirmed_at, _) = user_row(&app, id);
        let stored = stored.unwrap();
        assert!(!stored.contains(secret) && !stored.to_uppercase().contains(secret), "sealed, not in the clear");
        assert_eq!(confirmed_at, None, "not on until confirmed");
        assert_eq!(app.get("/api/me").bearer(&token).send().json()["two_factor_enabled"], false);

        let step = step_now();
        let confirm = |code: String| app.post("/api/user/confirmed-two-factor-authentication").bearer(&token)
            .json(&json!({ "code": code })).send();
        let refused = confirm(wrong_code(secret, step));
        refused.assert_error(422, "validation_failed");
        assert_eq!(refused.json()["errors"]["code"][0], INVALID_CODE);
        assert_eq!(user_row(&app, id).1, None);
        let typed = code(secret, step);
        let accepted = confirm(format!("{} {}", &typed[..3], &typed[3..]));
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        let codes = accepted.json()["recovery_codes"].as_array().unwrap().clone();
        assert_eq!(codes.len(), 8);
        assert!(codes.iter().all(|c| c.as_str().unwrap().len() == 11));
        let (_, confirmed_at, last_step) = user_row(&app, id);
        assert!(confirmed_at.is_some());
        assert_eq!(last_step, Some(step), "the confirming code is used up");
        assert_eq!(unused_recovery_codes(&app, id), 8);
        let hashes: Vec<String> = app.query(|conn| two_factor_recovery_codes::table
            .select(two_factor_recovery_codes::code_hash).load(conn));
        assert!(codes.iter().all(|c| !hashes.iter().any(|h| h.contains(&c.as_str().unwrap().replace('-', "")))));
        assert_eq!(app.get("/api/me").bearer(&token).send().json()["two_factor_enabled"], true);
        enable(json!({ "current_password": PASSWORD })).assert_error(409, "two_factor_enabled");
        assert_eq!(app.get("/api/user/two-factor-recovery-codes").bearer(&token).send().status, 405, "codes are never shown again");
        assert!(!logged(secret), "the secret never reaches the log");
    }

    fn a_login_with_two_factor_answers_a_challenge_and_the_code_starts_a_session_at_acr_2(backend) {
        let app = TestApp::spawn(backend);
        let user = enrolled(&app);
        let login = app.post("/api/login").json(&json!({ "email": user.email, "password": PASSWORD })).send();
        assert_eq!(login.status, 200);
        let body = login.json();
        let mut keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["challenge_token", "expires_in", "two_factor"], "no token: {body}");
        assert_eq!(body["expires_in"], 300);
        assert_eq!(open_sessions(&app, &user.user_id), ["pwd"], "no session yet");
        let challenge = body["challenge_token"].as_str().unwrap();
        let stored: Vec<String> = app.query(|conn| two_factor_challenges::table.select(two_factor_challenges::token_hash).load(conn));
        assert!(!stored.iter().any(|h| h == challenge), "stored hashed");

        let code = code(&user.secret, user.step + 1);
        let done = answer(&app, challenge, json!({ "code": code }));
        assert_eq!(done.status, 200, "{}", done.text);
        let access = done.json()["access_token"].as_str().unwrap().to_owned();
        let claims = claims_of(&access);
        assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
        assert_eq!(claims["acr"], "2");
        assert_eq!(claims_of(&user.token)["amr"], json!(["pwd"]));
        assert_eq!(claims_of(&user.token)["acr"], "1");
        assert_eq!(open_sessions(&app, &user.user_id), ["pwd", "pwd otp mfa"]);
        let listed = app.get("/api/sessions").bearer(&access).send().json();
        let acrs: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|s| s["acr"].as_str().unwrap()).collect();
        assert_eq!(acrs.len(), 2);
        assert!(acrs.contains(&"1") && acrs.contains(&"2"), "{listed}");

        let refreshed = app.post("/api/refresh").bearer(&access).send();
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        let successor = claims_of(refreshed.json()["access_token"].as_str().unwrap());
        assert_eq!((successor["amr"].clone(), successor["acr"].clone()), (json!(["pwd", "otp", "mfa"]), json!("2")), "a refresh keeps them");
        answer(&app, challenge, json!({ "code": code })).assert_error(422, "validation_failed");
        assert!(!logged(challenge) && !logged(&code), "neither the challenge token nor the code is logged");
    }

    fn a_code_is_accepted_once_and_a_code_from_two_steps_ago_never(backend) {
        let app = TestApp::spawn(backend);
        let user = enrolled(&app);
        let used = answer(&app, &challenged(&app, &user.email), json!({ "code": code(&user.secret, user.step) }));
        assert_eq!(used.json()["errors"]["code"][0], INVALID_CODE, "the enrolment's code: {}", used.text);
        let next = code(&user.secret, user.step + 1);
        assert_eq!(answer(&app, &challenged(&app, &user.email), json!({ "code": next })).status, 200);
        let again = answer(&app, &challenged(&app, &user.email), json!({ "code": next }));
        again.assert_error(422, "validation_failed");
        assert_eq!(again.json()["errors"]["code"][0], INVALID_CODE);
        let old = answer(&app, &challenged(&app, &user.email), json!({ "code": code(&user.secret, step_now() - 2) }));
        old.assert_error(422, "validation_failed");
        assert_eq!(user_row(&app, &user.user_id).2, Some(user.step + 1));
        assert_eq!(open_sessions(&app, &user.user_id).len(), 2, "one login, one challenge passed");
    }

    fn of_two_challenges_answered_at_once_with_one_code_exactly_one_gets_a_token(backend) {
        let app = Arc::new(TestApp::spawn(backend));
        let user = enrolled(&app);
        let code = code(&user.secret, user.step + 1);
        let challenges = [challenged(&app, &user.email), challenged(&app, &user.email)];
        let barrier = Arc::new(Barrier::new(2));
        let answers: Vec<u16> = challenges.into_iter().map(|challenge| {
            let (app, barrier, code) = (app.clone(), barrier.clone(), code.clone());
            std::thread::spawn(move || {
                barrier.wait();
                answer(&app, &challenge, json!({ "code": code })).status
            })
        }).collect::<Vec<_>>().into_iter().map(|t| t.join().unwrap()).collect();
        let mut sorted = answers.clone();
        sorted.sort();
        assert_eq!(sorted, [200, 422], "{answers:?}");
        assert_eq!(open_sessions(&app, &user.user_id), ["pwd", "pwd otp mfa"]);
    }

    fn a_recovery_code_works_once_and_is_marked_used(backend) {
        let app = TestApp::spawn(backend);
        let user = enrolled(&app);
        let recovery = user.recovery_codes[2].clone();
        let done = answer(&app, &challenged(&app, &user.email), json!({ "recovery_code": recovery.to_lowercase() }));
        assert_eq!(done.status, 200, "{}", done.text);
        let claims = claims_of(done.json()["access_token"].as_str().unwrap());
        assert_eq!((claims["amr"].clone(), claims["acr"].clone()), (json!(["pwd", "mfa", "rec"]), json!("2")));
        assert_eq!(unused_recovery_codes(&app, &user.user_id), 7);
        let again = answer(&app, &challenged(&app, &user.email), json!({ "recovery_code": recovery }));
        again.assert_error(422, "validation_failed");
        assert_eq!(again.json()["errors"]["recovery_code"][0], "The provided two factor recovery code was invalid.");
        assert!(!logged(&recovery), "recovery codes are not logged");
        assert!(crate::helpers::audit_lines(&user.user_id).iter().any(|l| l.contains("event=\"recovery_code_used\"") || l.contains("event=recovery_code_used")));
    }

    fn the_sixth_wrong_code_on_one_challenge_and_the_eleventh_for_one_user_are_429(backend) {
        let app = TestApp::spawn(backend);
        let user = enrolled(&app);
        let wrong = wrong_code(&user.secret, step_now());
        let first = challenged(&app, &user.email);
        for _ in 0..5 {
            answer(&app, &first, json!({ "code": wrong })).assert_error(422, "validation_failed");
        }
        let sixth = answer(&app, &first, json!({ "code": code(&user.secret, user.step + 1) }));
        sixth.assert_error(429, "too_many_requests");
        let retry: u64 = sixth.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=300).contains(&retry), "{retry}");
        let attempts: i32 = app.query(|conn| two_factor_challenges::table.select(two_factor_challenges::attempts).first(conn));
        assert_eq!(attempts, 5);
        let second = challenged(&app, &user.email);
        for _ in 0..5 {
            answer(&app, &second, json!({ "code": wrong })).assert_error(422, "validation_failed");
        }
        let third = challenged(&app, &user.email);
        answer(&app, &third, json!({ "code": code(&user.secret, user.step + 1) })).assert_error(429, "too_many_requests");
        assert_eq!(open_sessions(&app, &user.user_id), ["pwd"], "no session came of it");
    }

    fn a_challenge_expired_used_or_from_another_network_is_refused(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.rate_limit.trusted_proxies = vec![jwt_auth_server::config::parse_network("127.0.0.1").unwrap()];
        });
        let user = enrolled(&app);
        let from = |ip: &str| {
            let response = app.post("/api/login").header("X-Forwarded-For", ip)
                .json(&json!({ "email": user.email, "password": PASSWORD })).send();
            response.json()["challenge_token"].as_str().unwrap().to_owned()
        };
        let answer_from = |ip: &str, challenge: &str, code: &str| app.post("/api/two-factor-challenge")
            .header("X-Forwarded-For", ip).json(&json!({ "challenge_token": challenge, "code": code })).send();
        let code = code(&user.secret, user.step + 1);
        let moved = from("203.0.113.5");
        let other = answer_from("198.51.100.7", &moved, &code);
        other.assert_error(422, "validation_failed");
        assert!(other.json()["errors"]["challenge_token"][0].as_str().unwrap().contains("sign in again"));

        let late = from("203.0.113.5");
        app.execute("UPDATE two_factor_challenges SET expires_at = created_at");
        answer_from("203.0.113.5", &late, &code).assert_error(422, "validation_failed");
        let fresh = from("203.0.113.5");
        assert_eq!(answer_from("203.0.113.5", &fresh, &code).status, 200);
        let reused = answer_from("203.0.113.5", &fresh, &code);
        assert!(reused.json()["errors"]["challenge_token"].is_array(), "{}", reused.text);
        answer_from("203.0.113.5", "no-such-challenge", &code).assert_error(422, "validation_failed");
    }

    fn turning_two_factor_off_needs_the_password_and_a_code_and_ends_the_other_sessions(backend) {
        let app = TestApp::spawn(backend);
        let user = enrolled(&app);
        let done = answer(&app, &challenged(&app, &user.email), json!({ "code": code(&user.secret, user.step + 1) }));
        let caller = done.json()["access_token"].as_str().unwrap().to_owned();
        let disable = |body: Value| app.request("DELETE", "/api/user/two-factor-authentication").bearer(&caller).json(&body).send();
        let missing = disable(json!({ "current_password": PASSWORD }));
        assert_eq!(missing.json()["errors"]["code"][0], "The code field is required.", "{}", missing.text);
        let wrong = disable(json!({ "current_password": "wrong password", "recovery_code": user.recovery_codes[0] }));
        assert!(wrong.json()["errors"]["current_password"].is_array(), "{}", wrong.text);
        assert_eq!(unused_recovery_codes(&app, &user.user_id), 8, "a refused call uses no code");
        let off = disable(json!({ "current_password": PASSWORD, "recovery_code": user.recovery_codes[0] }));
        assert_eq!(off.status, 200, "{}", off.text);
        assert_eq!(off.json(), json!({ "status": "success", "revoked": 1 }));
        assert_eq!(user_row(&app, &user.user_id), (None, None, None));
        assert_eq!(unused_recovery_codes(&app, &user.user_id), 0);
        app.get("/api/me").bearer(&user.token).send().assert_error(401, "token_blacklisted");
        let me = app.get("/api/me").bearer(&caller).send();
        assert_eq!(me.json()["two_factor_enabled"], false);
        let listed = app.get("/api/sessions").bearer(&caller).send().json();
        assert_eq!(listed["data"][0]["acr"], "2", "the caller's session keeps its acr");
        let login = app.post("/api/login").json(&json!({ "email": user.email, "password": PASSWORD })).send();
        assert!(login.json()["access_token"].is_string(), "a password alone signs in again");
        disable(json!({ "current_password": PASSWORD, "code": "123456" })).assert_error(409, "two_factor_not_enabled");
    }

    fn changing_the_password_with_two_factor_on_needs_a_code(backend) {
        let app = TestApp::spawn(backend);
        let user = enrolled(&app);
        let change = |code: Option<String>| app.request("PUT", "/api/password").bearer(&user.token)
            .json(&json!({ "current_password": PASSWORD, "password": "a brand new passphrase", "password_confirmation": "a brand new passphrase", "code": code }))
            .send();
        let missing = change(None);
        assert_eq!(missing.json()["errors"]["code"][0], "The code field is required.", "{}", missing.text);
        let wrong = change(Some(wrong_code(&user.secret, step_now())));
        assert_eq!(wrong.json()["errors"]["code"][0], INVALID_CODE);
        let pending = challenged(&app, &user.email);
        let changed = change(Some(code(&user.secret, user.step + 1)));
        assert_eq!(changed.status, 200, "{}", changed.text);
        let dropped = answer(&app, &pending, json!({ "recovery_code": user.recovery_codes[0] }));
        assert!(dropped.json()["errors"]["challenge_token"].is_array(), "a challenge opened before the change ends with the logins: {}", dropped.text);
        let login = app.post("/api/login").json(&json!({ "email": user.email, "password": "a brand new passphrase" })).send();
        assert_eq!(login.json()["two_factor"], true);
    }

    fn the_oauth_password_grant_asks_for_otp_and_its_tokens_keep_amr_and_acr(backend) {
        let app = TestApp::spawn(backend);
        let user = enrolled(&app);
        let client = Id::now_v7();
        app.query(|conn| OAuthClient::create(conn, &OAuthClient {
            id: client, name: "app".into(), secret_hash: None, grant_types: "password refresh_token".into(),
            scopes: "offline_access".into(), first_party: true, always_issue_refresh_token: true, created_at: db::now(), redirect_uris: String::new(), resources: "https://orders.example".into(), skip_consent: false, post_logout_redirect_uris: String::new(),
        }));
        let client = client.to_string();
        let grant = |otp: Option<&str>| {
            let mut params = vec![("grant_type", "password"), ("client_id", client.as_str()), ("username", user.email.as_str()), ("password", PASSWORD)];
            if let Some(otp) = otp { params.push(("otp", otp)); }
            app.post("/oauth/token").form(&serde_urlencoded::to_string(&params).unwrap()).send()
        };
        let long = "1".repeat(65);
        assert_eq!(grant(Some(&long)).json()["error"], "invalid_request");
        let without = grant(None);
        assert_eq!(without.status, 400);
        assert_eq!(without.json(), json!({ "error": "invalid_grant", "error_description": "two-factor authentication required" }));
        let wrong = grant(Some(&wrong_code(&user.secret, step_now())));
        assert_eq!(wrong.json()["error"], "invalid_grant");
        assert_eq!(open_sessions(&app, &user.user_id), ["pwd"]);
        let granted = grant(Some(&code(&user.secret, user.step + 1)));
        assert_eq!(granted.status, 200, "{}", granted.text);
        let body = granted.json();
        let claims = claims_of(body["access_token"].as_str().unwrap());
        assert_eq!((claims["amr"].clone(), claims["acr"].clone()), (json!(["pwd", "otp", "mfa"]), json!("2")));
        let refreshed = app.post("/oauth/token").form(&serde_urlencoded::to_string([
            ("grant_type", "refresh_token"), ("client_id", client.as_str()), ("refresh_token", body["refresh_token"].as_str().unwrap()),
        ]).unwrap()).send();
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        let successor = claims_of(refreshed.json()["access_token"].as_str().unwrap());
        assert_eq!((successor["amr"].clone(), successor["acr"].clone()), (json!(["pwd", "otp", "mfa"]), json!("2")));
        let recovery = grant(Some(&user.recovery_codes[5]));
        assert_eq!(claims_of(recovery.json()["access_token"].as_str().unwrap())["amr"], json!(["pwd", "mfa", "rec"]));

        // A resource server asks: introspection answers both claims, for the refresh token too.
        let resource_server = Id::now_v7();
        app.query(|conn| OAuthClient::create(conn, &OAuthClient {
            id: resource_server, name: "api".into(), secret_hash: Some(jwt_auth_server::crypto::sha256_hex(b"s3cret")),
            grant_types: "".into(), scopes: "".into(), first_party: false, always_issue_refresh_token: false, created_at: db::now(), redirect_uris: String::new(), resources: "https://orders.example".into(), skip_consent: false, post_logout_redirect_uris: String::new(),
        }));
        let introspect = |token: &str| app.post("/oauth/introspect").form(&serde_urlencoded::to_string([
            ("token", token), ("client_id", &resource_server.to_string()), ("client_secret", "s3cret"),
        ]).unwrap()).send().json();
        let api_token = answer(&app, &challenged(&app, &user.email), json!({ "recovery_code": user.recovery_codes[6] }));
        let answered = introspect(api_token.json()["access_token"].as_str().unwrap());
        assert_eq!((answered["active"].clone(), answered["amr"].clone(), answered["acr"].clone()), (json!(true), json!(["pwd", "mfa", "rec"]), json!("2")));
        let answered = introspect(&user.token);
        assert_eq!((answered["amr"].clone(), answered["acr"].clone()), (json!(["pwd"]), json!("1")));
    }

    fn new_recovery_codes_need_the_password_and_a_code_and_kill_the_old_ones(backend) {
        let app = TestApp::spawn(backend);
        let user = enrolled(&app);
        let regenerate = |body: Value| app.post("/api/user/two-factor-recovery-codes").bearer(&user.token).json(&body).send();
        // The enrolling session never proved a code: the password alone mints nothing.
        let password_only = regenerate(json!({ "current_password": PASSWORD }));
        assert_eq!(password_only.json()["errors"]["code"][0], "The code field is required.", "{}", password_only.text);
        let wrong = regenerate(json!({ "current_password": "wrong password", "code": code(&user.secret, user.step + 1) }));
        assert!(wrong.json()["errors"]["current_password"].is_array());
        assert_eq!(user_row(&app, &user.user_id).2, Some(user.step), "a refused call uses no code");
        let fresh = regenerate(json!({ "current_password": PASSWORD, "code": code(&user.secret, user.step + 1) }));
        assert_eq!(fresh.status, 200, "{}", fresh.text);
        let codes = fresh.json()["recovery_codes"].as_array().unwrap().clone();
        assert_eq!(codes.len(), 8);
        assert!(codes.iter().all(|c| !user.recovery_codes.contains(&c.as_str().unwrap().to_owned())));
        assert_eq!(unused_recovery_codes(&app, &user.user_id), 8);
        let total: i64 = app.query(|conn| two_factor_recovery_codes::table.count().get_result(conn));
        assert_eq!(total, 8, "the old rows are gone");
        let old = answer(&app, &challenged(&app, &user.email), json!({ "recovery_code": user.recovery_codes[0] }));
        old.assert_error(422, "validation_failed");
        let new = answer(&app, &challenged(&app, &user.email), json!({ "recovery_code": codes[0] }));
        assert_eq!(new.status, 200, "{}", new.text);
    }

    fn the_wrong_codes_of_a_user_are_counted_even_with_rate_limits_off(backend) {
        let app = TestApp::spawn_with(backend, |c| c.rate_limit.enabled = false);
        let user = enrolled(&app);
        let wrong = wrong_code(&user.secret, step_now());
        for _ in 0..2 {
            let challenge = challenged(&app, &user.email);
            for _ in 0..5 {
                answer(&app, &challenge, json!({ "code": wrong })).assert_error(422, "validation_failed");
            }
        }
        let last = challenged(&app, &user.email);
        let refused = answer(&app, &last, json!({ "code": code(&user.secret, user.step + 1) }));
        refused.assert_error(429, "too_many_requests");
        assert!(refused.header("retry-after").is_some());
    }
}
