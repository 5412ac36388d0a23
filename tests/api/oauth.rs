//! POST /oauth/token and /oauth/revoke: grants, rotation, reuse detection, clients, lifetimes.

use std::sync::{Arc, Barrier};

use base64::Engine;
use diesel::prelude::*;
use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::{Ended, NewLogin, OAuthClient, OAuthRefreshToken, Session};
use jwt_auth_server::oauth::refresh_token::hash;
use jwt_auth_server::schema::{blacklisted_tokens, oauth_refresh_tokens, sessions};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestResponse, claims_of, forge_typed, header_of, now};

const SECRET: &str = "client-secret-client-secret-0123456789";
const EMAIL: &str = "oauth@example.com";

/// How a test client is set up.
#[derive(Clone, Copy)]
struct Kind {
    confidential: bool,
    password_grant: bool,
    always_refresh: bool,
}

const FIRST_PARTY: Kind = Kind {
    confidential: true,
    password_grant: true,
    always_refresh: false,
};

/// Creates a client with scopes `offline_access read profile`; returns its id.
fn client(app: &TestApp, kind: Kind) -> String {
    let id = Id::now_v7();
    let grants = if kind.password_grant {
        "password refresh_token"
    } else {
        "refresh_token"
    };
    let new = OAuthClient {
        id,
        name: "test client".into(),
        secret_hash: kind.confidential.then(|| hash(SECRET)),
        grant_types: grants.into(),
        scopes: "offline_access profile read".into(),
        first_party: kind.password_grant,
        always_issue_refresh_token: kind.always_refresh,
        created_at: db::now(),
        redirect_uris: String::new(),
        resources: "https://orders.example".into(),
        skip_consent: false,
        post_logout_redirect_uris: String::new(),
    };
    app.query(|conn| OAuthClient::create(conn, &new));
    id.to_string()
}

/// A password grant by a confidential first-party client with `client_id`.
fn password_grant(app: &TestApp, client_id: &str, scope: &str) -> TestResponse {
    app.token(&[
        ("grant_type", "password"),
        ("username", EMAIL),
        ("password", PASSWORD),
        ("client_id", client_id),
        ("client_secret", SECRET),
        ("scope", scope),
    ])
}

fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> TestResponse {
    app.token(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client_id),
        ("client_secret", SECRET),
    ])
}

fn ok(response: &TestResponse) -> Value {
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn refresh_token_of(response: &TestResponse) -> String {
    ok(response)["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

fn assert_oauth_error(response: &TestResponse, status: u16, error: &str) {
    assert_eq!(
        (response.status, response.json()["error"].as_str()),
        (status, Some(error)),
        "{}",
        response.text
    );
    assert!(response.json()["error_description"].is_string());
}

/// A registered user and a client; returns the client id.
fn setup(app: &TestApp, kind: Kind) -> String {
    app.register(EMAIL, PASSWORD);
    client(app, kind)
}

api_tests! {
    fn with_must_verify_email_the_password_grant_refuses_an_unverified_address(backend) {
        let app = TestApp::spawn_with(backend, |c| c.mail.must_verify = true);
        let client_id = setup(&app, FIRST_PARTY);

        let response = password_grant(&app, &client_id, "read");

        assert_eq!(response.status, 400, "{}", response.text);
        assert_eq!(response.json()["error"], "invalid_grant");
        assert_eq!(response.json()["error_description"], "The email address is not verified.");
        assert_eq!(app.mails(2).len(), 2, "the sign-up's link and a fresh one");
        let sessions: i64 = app.query(|conn| jwt_auth_server::schema::sessions::table.count().get_result(conn));
        assert_eq!(sessions, 0);
        let wrong = app.token(&[("grant_type", "password"), ("username", EMAIL), ("password", "wrong password"), ("client_id", &client_id), ("client_secret", SECRET)]);
        assert_eq!(wrong.json()["error_description"], "The user credentials were incorrect.");
    }

    fn the_password_grant_answers_rfc_6749_tokens(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let response = password_grant(&app, &client_id, "read offline_access");
        let body = ok(&response);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("pragma"), Some("no-cache"));
        assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("Bearer"), Some(3600)));
        assert_eq!(body["scope"], "offline_access read");
        let access = body["access_token"].as_str().unwrap();
        let claims = claims_of(access);
        assert_eq!((claims["client_id"].as_str(), claims["scope"].as_str()), (Some(client_id.as_str()), Some("offline_access read")));
        assert!(claims["sid"].is_string());
        assert_eq!(app.get("/api/me").bearer(access).send().json()["email"], EMAIL);
        // JSON bodies and the /api prefix work too.
        let json_body = app
            .post("/api/oauth/token")
            .json(&json!({ "grant_type": "password", "username": EMAIL, "password": PASSWORD, "client_id": client_id, "client_secret": SECRET }))
            .send();
        assert_eq!(ok(&json_body)["scope"], "");
    }

    fn a_refresh_token_needs_offline_access_or_a_client_that_always_gets_one(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        assert!(ok(&password_grant(&app, &client_id, "read")).get("refresh_token").is_none());
        assert!(ok(&password_grant(&app, &client_id, "offline_access")).get("refresh_token").is_some());
        let always = client(&app, Kind { always_refresh: true, ..FIRST_PARTY });
        assert!(ok(&password_grant(&app, &always, "read")).get("refresh_token").is_some());
    }

    fn refresh_tokens_are_stored_only_as_hashes(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let rt0 = refresh_token_of(&password_grant(&app, &client_id, "offline_access"));
        let rt1 = refresh_token_of(&refresh(&app, &client_id, &rt0));
        let rows: Vec<OAuthRefreshToken> = app.query(|conn| oauth_refresh_tokens::table.load(conn));
        assert_eq!(rows.len(), 2);
        let dump = format!("{rows:?}");
        assert!(!dump.contains(&rt0) && !dump.contains(&rt1), "no token in clear text");
        assert!(rows.iter().any(|r| r.token_hash == hash(&rt0) && r.used_at.is_some()));
        assert!(rows.iter().any(|r| r.token_hash == hash(&rt1) && r.parent_hash == Some(hash(&rt0))));
    }

    fn rotation_gives_distinct_tokens_and_a_replay_revokes_the_family(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let rt0 = refresh_token_of(&password_grant(&app, &client_id, "offline_access"));
        let first = refresh(&app, &client_id, &rt0);
        let rt1 = refresh_token_of(&first);
        let second = refresh(&app, &client_id, &rt1);
        let rt2 = refresh_token_of(&second);
        let access = second.json()["access_token"].as_str().unwrap().to_owned();
        assert!(rt0 != rt1 && rt1 != rt2 && rt0 != rt2);
        assert_eq!(app.get("/api/me").bearer(&access).send().status, 200);

        let replay = refresh(&app, &client_id, &rt0);
        assert_oauth_error(&replay, 400, "invalid_grant");
        assert_oauth_error(&refresh(&app, &client_id, &rt2), 400, "invalid_grant");
        app.get("/api/me").bearer(&access).send().assert_error(401, "token_blacklisted");
        let sessions: Vec<Session> = app.query(|conn| sessions::table.load(conn));
        assert!(sessions[0].revoked_at.is_some());
    }

    fn concurrent_uses_of_one_refresh_token_have_exactly_one_winner(backend) {
        let app = Arc::new(TestApp::spawn(backend));
        let client_id = setup(&app, FIRST_PARTY);
        let rt0 = refresh_token_of(&password_grant(&app, &client_id, "offline_access"));
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (app, barrier, client_id, rt0) = (app.clone(), barrier.clone(), client_id.clone(), rt0.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    refresh(&app, &client_id, &rt0)
                })
            })
            .collect();
        let responses: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1, "{responses:?}");
        for loser in responses.iter().filter(|r| r.status != 200) {
            assert_oauth_error(loser, 400, "invalid_grant");
        }
    }

    fn within_the_reuse_interval_the_same_child_is_answered(backend) {
        let app = TestApp::spawn_with(backend, |c| c.oauth.refresh_reuse_interval_seconds = 30);
        let client_id = setup(&app, FIRST_PARTY);
        let rt0 = refresh_token_of(&password_grant(&app, &client_id, "offline_access"));
        let rt1 = refresh_token_of(&refresh(&app, &client_id, &rt0));
        assert_eq!(refresh_token_of(&refresh(&app, &client_id, &rt0)), rt1, "the same child again");
        let rt2 = refresh_token_of(&refresh(&app, &client_id, &rt1));
        // Once the child has been used, the parent is a replay even inside the interval.
        assert_oauth_error(&refresh(&app, &client_id, &rt0), 400, "invalid_grant");
        assert_oauth_error(&refresh(&app, &client_id, &rt2), 400, "invalid_grant");
    }

    fn a_refresh_may_narrow_the_scope_but_not_widen_it(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let rt0 = refresh_token_of(&password_grant(&app, &client_id, "offline_access read"));
        let params = |rt: &str, scope: &str| {
            app.token(&[("grant_type", "refresh_token"), ("refresh_token", rt), ("client_id", &client_id), ("client_secret", SECRET), ("scope", scope)])
        };
        assert_oauth_error(&params(&rt0, "read profile"), 400, "invalid_scope");
        let narrowed = params(&rt0, "read");
        assert_eq!(ok(&narrowed)["scope"], "read");
        assert_eq!(claims_of(narrowed.json()["access_token"].as_str().unwrap())["scope"], "read");
        // The refresh token keeps the scopes of the login (RFC 6749 §6).
        let rt1 = narrowed.json()["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(ok(&refresh(&app, &client_id, &rt1))["scope"], "offline_access read");
        assert_oauth_error(&password_grant(&app, &client_id, "admin"), 400, "invalid_scope");
    }

    fn confidential_clients_must_authenticate_and_public_ones_need_not(backend) {
        let app = TestApp::spawn(backend);
        let confidential = setup(&app, FIRST_PARTY);
        let public = client(&app, Kind { confidential: false, ..FIRST_PARTY });
        let grant = |client_id: &str, secret: Option<&str>| {
            let mut params = vec![("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD), ("client_id", client_id)];
            params.extend(secret.map(|s| ("client_secret", s)));
            app.token(&params)
        };
        for response in [grant(&confidential, None), grant(&confidential, Some("wrong")), grant(&public, Some(SECRET)), grant(&Id::now_v7().to_string(), None), grant("not-a-uuid", None)] {
            assert_oauth_error(&response, 401, "invalid_client");
            assert_eq!(response.header("www-authenticate"), Some(r#"Basic realm="jwt-auth-server""#));
        }
        ok(&grant(&public, None));
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{confidential}:{SECRET}"));
        let with_basic = app
            .post("/oauth/token")
            .header("Authorization", &format!("Basic {basic}"))
            .form(&format!("grant_type=password&username=oauth%40example.com&password={}", PASSWORD.replace(' ', "+")))
            .send();
        ok(&with_basic);
    }

    fn the_password_grant_needs_a_client_allowed_to_use_it(backend) {
        let app = TestApp::spawn(backend);
        let third_party = setup(&app, Kind { password_grant: false, ..FIRST_PARTY });
        assert_oauth_error(&password_grant(&app, &third_party, "read"), 400, "unauthorized_client");
    }

    fn a_wrong_password_and_an_unknown_user_get_the_same_invalid_grant(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let attempt = |username: &str, password: &str| {
            app.token(&[("grant_type", "password"), ("username", username), ("password", password), ("client_id", &client_id), ("client_secret", SECRET)])
        };
        let (wrong, unknown) = (attempt(EMAIL, "wrong password"), attempt("nobody@example.com", PASSWORD));
        assert_oauth_error(&wrong, 400, "invalid_grant");
        assert_eq!(wrong.json(), unknown.json());
    }

    fn tokens_of_one_kind_are_refused_as_the_other(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let body = ok(&password_grant(&app, &client_id, "offline_access"));
        let (access, refresh_token) = (body["access_token"].as_str().unwrap(), body["refresh_token"].as_str().unwrap());
        assert_oauth_error(&refresh(&app, &client_id, access), 400, "invalid_grant");
        app.get("/api/me").bearer(refresh_token).send().assert_error(401, "token_invalid");
        let other_client = client(&app, FIRST_PARTY);
        assert_oauth_error(&refresh(&app, &other_client, refresh_token), 400, "invalid_grant");
    }

    fn malformed_token_requests_are_invalid_request_or_unsupported_grant_type(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        assert_oauth_error(&app.token(&[("client_id", &client_id), ("client_secret", SECRET)]), 400, "invalid_request");
        let implicit = app.token(&[("grant_type", "implicit"), ("client_id", &client_id), ("client_secret", SECRET)]);
        assert_oauth_error(&implicit, 400, "unsupported_grant_type");
        let twice = app.post("/oauth/token").form(&format!("grant_type=password&grant_type=password&client_id={client_id}")).send();
        assert_oauth_error(&twice, 400, "invalid_request");
        let missing = app.token(&[("grant_type", "password"), ("client_id", &client_id), ("client_secret", SECRET)]);
        assert_oauth_error(&missing, 400, "invalid_request");
        let xml = app.post("/oauth/token").body("application/xml", b"<grant/>".to_vec()).send();
        assert_oauth_error(&xml, 400, "invalid_request");
    }

    fn expired_families_and_idle_refresh_tokens_are_refused(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        // Instead of waiting 14 or 30 days, the rows are aged.
        let idle = refresh_token_of(&password_grant(&app, &client_id, "offline_access"));
        app.execute(&format!("UPDATE oauth_refresh_tokens SET created_at = '2000-01-01 00:00:00' WHERE token_hash = '{}'", hash(&idle)));
        assert_oauth_error(&refresh(&app, &client_id, &idle), 400, "invalid_grant");

        let absolute = password_grant(&app, &client_id, "offline_access");
        let sid = claims_of(absolute.json()["access_token"].as_str().unwrap())["sid"].as_str().unwrap().to_owned();
        app.execute(&format!("UPDATE sessions SET expires_at = '2000-01-01 00:00:00' WHERE id = '{sid}'"));
        assert_oauth_error(&refresh(&app, &client_id, &refresh_token_of(&absolute)), 400, "invalid_grant");
        app.get("/api/me").bearer(absolute.json()["access_token"].as_str().unwrap()).send().assert_error(401, "token_blacklisted");

        let pruned = app.query(|conn| jwt_auth_server::maintenance::prune(conn, &app.config));
        assert_eq!((pruned.sessions, pruned.oauth_refresh_tokens), (1, 1));
    }

    fn revocation_ends_the_family_and_always_answers_200(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let revoke = |token: &str| {
            app.post("/oauth/revoke").form(&serde_urlencoded::to_string([("token", token), ("client_id", &client_id), ("client_secret", SECRET)]).unwrap()).send()
        };
        let body = ok(&password_grant(&app, &client_id, "offline_access"));
        let (access, rt) = (body["access_token"].as_str().unwrap(), body["refresh_token"].as_str().unwrap());
        assert_eq!(revoke(rt).status, 200);
        assert_oauth_error(&refresh(&app, &client_id, rt), 400, "invalid_grant");
        app.get("/api/me").bearer(access).send().assert_error(401, "token_blacklisted");
        assert_eq!(revoke("no-such-token").status, 200);

        let body = ok(&password_grant(&app, &client_id, "offline_access"));
        let access = body["access_token"].as_str().unwrap();
        assert_eq!(revoke(access).status, 200);
        app.get("/api/me").bearer(access).send().assert_error(401, "token_blacklisted");
        assert_oauth_error(&refresh(&app, &client_id, body["refresh_token"].as_str().unwrap()), 400, "invalid_grant");
        let unauthenticated = app.post("/oauth/revoke").form("token=x").send();
        assert_oauth_error(&unauthenticated, 401, "invalid_client");
    }

    fn logout_ends_the_oauth_session_and_scope_all_every_session(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let one = ok(&password_grant(&app, &client_id, "offline_access"));
        let two = ok(&password_grant(&app, &client_id, "offline_access"));
        let three = ok(&password_grant(&app, &client_id, "offline_access"));
        assert_eq!(app.post("/api/logout").bearer(one["access_token"].as_str().unwrap()).send().status, 200);
        assert_oauth_error(&refresh(&app, &client_id, one["refresh_token"].as_str().unwrap()), 400, "invalid_grant");
        ok(&refresh(&app, &client_id, two["refresh_token"].as_str().unwrap()));

        let laravel = app.login(EMAIL, PASSWORD);
        assert_eq!(app.post("/api/logout?scope=all").bearer(&laravel).send().status, 200);
        assert_oauth_error(&refresh(&app, &client_id, three["refresh_token"].as_str().unwrap()), 400, "invalid_grant");
        app.get("/api/me").bearer(three["access_token"].as_str().unwrap()).send().assert_error(401, "token_blacklisted");
    }

    // Issue 9, point 1: an OAuth access token is renewed only at /oauth/token.
    fn an_oauth_access_token_cannot_be_refreshed_at_api_refresh(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let access = ok(&password_grant(&app, &client_id, "read"))["access_token"].as_str().unwrap().to_owned();
        assert_eq!(header_of(&access)["typ"], "at+jwt");
        assert_eq!(claims_of(&access)["aud"], crate::helpers::ISSUER, "the default resource: this API");
        assert_eq!(claims_of(&access)["client_id"], client_id.as_str());
        for path in ["/api/refresh", "/api/auth/refresh"] {
            app.get(path).bearer(&access).send().assert_error(401, "token_invalid");
        }
        // Expired, and issued without offline_access: still never refreshable there.
        let mut claims = claims_of(&access);
        claims["iat"] = json!(now() - 7200);
        claims["nbf"] = claims["iat"].clone();
        claims["exp"] = json!(now() - 3600);
        claims["jti"] = json!(uuid::Uuid::now_v7().to_string());
        let expired = forge_typed("at+jwt", &claims);
        app.post("/api/refresh").bearer(&expired).send().assert_error(401, "token_invalid");
        let rows: i64 = app.query(|conn| blacklisted_tokens::table.count().get_result(conn));
        assert_eq!(rows, 0, "nothing was refreshed");
        // The /api guard still accepts it for me and logout.
        assert_eq!(app.get("/api/me").bearer(&access).send().json()["email"], EMAIL);
        assert_eq!(app.post("/api/logout").bearer(&access).send().status, 200);
    }

    fn an_oauth_token_presented_as_a_plain_one_or_the_reverse_is_invalid(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let access = ok(&password_grant(&app, &client_id, "read"))["access_token"].as_str().unwrap().to_owned();
        let oauth_claims = claims_of(&access);
        app.get("/api/me").bearer(&forge_typed("JWT", &oauth_claims)).send().assert_error(401, "token_invalid");
        let mut other_audience = oauth_claims.clone();
        other_audience["aud"] = json!(uuid::Uuid::now_v7().to_string());
        app.get("/api/me").bearer(&forge_typed("at+jwt", &other_audience)).send().assert_error(401, "token_invalid");
        // Issued before resource indicators: `aud` was the client, still accepted until it expires.
        let mut legacy = oauth_claims.clone();
        legacy["aud"] = json!(client_id);
        assert_eq!(app.get("/api/me").bearer(&forge_typed("at+jwt", &legacy)).send().status, 200);
        let (user_id, _) = app.user_with_token();
        let plain = app.claims(&user_id, 0, 3600);
        app.get("/api/me").bearer(&forge_typed("at+jwt", &plain)).send().assert_error(401, "token_invalid");
    }

    // Issue 9, point 2: the username is checked like the login email before any limit is touched.
    fn a_malformed_or_oversized_username_is_invalid_request_before_any_limit(backend) {
        let app = TestApp::spawn_with(backend, |c| c.rate_limit.login_ip_per_minute = 1);
        let client_id = setup(&app, FIRST_PARTY);
        let huge = format!("{}@example.com", "a".repeat(60 * 1024));
        for username in [huge.as_str(), "not-an-email", "a@b@c", &format!("{}@example.com", "a".repeat(65))] {
            let response = app.token(&[("grant_type", "password"), ("username", username), ("password", PASSWORD), ("client_id", &client_id), ("client_secret", SECRET)]);
            assert_oauth_error(&response, 400, "invalid_request");
        }
        // The one attempt the IP has left is still there, and the username is normalised like an email.
        let upper = app.token(&[("grant_type", "password"), ("username", " OAuth@Example.com "), ("password", PASSWORD), ("client_id", &client_id), ("client_secret", SECRET)]);
        assert_eq!(upper.status, 200, "{}", upper.text);
    }

    // Issue 9, point 7: logout?scope=all revokes every session with set-based statements.
    fn logout_everywhere_revokes_a_thousand_sessions_in_a_few_statements(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let (user_id, token) = {
            let user: jwt_auth_server::models::User = app.query(|conn| jwt_auth_server::models::User::find_by_email(conn, EMAIL)).unwrap();
            (user.id, app.login(EMAIL, PASSWORD))
        };
        let client = Id(uuid::Uuid::parse_str(&client_id).unwrap());
        let now = db::now();
        app.query(|conn| {
            conn.write_transaction(|conn| {
                for i in 0..1000 {
                    let login = NewLogin { user_id, client_id: Some(client), scopes: "offline_access".into(), user_agent: None, ip: None, lifetime: chrono::Duration::days(30), proof: jwt_auth_server::jwt::Proof::Password, resource: None };
                    let session = Session::start(login, now);
                    Session::create(conn, &session)?;
                    OAuthRefreshToken::create(conn, &OAuthRefreshToken { token_hash: hash(&format!("rt{i}")), session_id: session.id, parent_hash: None, client_id: client, scopes: "offline_access".into(), created_at: now, used_at: None, revoked_at: None })?;
                }
                Ok(())
            })
        });
        app.db.statements().record();
        app.query(|conn| conn.write_transaction(|conn| Session::revoke_all_of_user(conn, user_id, None, Ended::LogoutEverywhere, db::now())));
        let statements = app.db.statements().recorded();
        assert_eq!(statements.iter().filter(|s| *s == "UPDATE").count(), 2, "one per table: {statements:?}");
        // Over HTTP, on fresh rows: every session and refresh token of the user ends.
        app.execute("UPDATE sessions SET revoked_at = NULL; UPDATE oauth_refresh_tokens SET revoked_at = NULL");
        app.db.statements().record();
        assert_eq!(app.post("/api/logout?scope=all").bearer(&token).send().status, 200);
        let statements = app.db.statements().recorded();
        // A fixed count whatever the number of sessions (the DELETEs of open two-factor challenges
        // and browser sign-ins at /oauth/authorize among them).
        assert!(statements.len() <= 14, "a logout everywhere of 1,001 sessions: {statements:?}");
        let open_sessions: i64 = app.query(|conn| sessions::table.filter(sessions::revoked_at.is_null()).count().get_result(conn));
        let open_tokens: i64 = app.query(|conn| oauth_refresh_tokens::table.filter(oauth_refresh_tokens::revoked_at.is_null()).count().get_result(conn));
        assert_eq!((open_sessions, open_tokens), (0, 0));
        assert_oauth_error(&refresh(&app, &client_id, "rt7"), 400, "invalid_grant");
    }

    // Issue 12: introspection (RFC 7662).
    fn introspection_tells_a_confidential_client_which_tokens_still_work(backend) {
        let app = TestApp::spawn_with(backend, |c| c.jwt.algo = jwt_auth_server::config::Algo::ES256);
        let client_id = setup(&app, FIRST_PARTY);
        let other_client = client(&app, FIRST_PARTY);
        let public_client = client(&app, Kind { confidential: false, ..FIRST_PARTY });
        let introspect = |client_id: &str, secret: Option<&str>, token: &str| {
            let mut params = vec![("token", token), ("client_id", client_id)];
            if let Some(secret) = secret {
                params.push(("client_secret", secret));
            }
            app.post("/oauth/introspect").form(&serde_urlencoded::to_string(&params).unwrap()).send()
        };
        let granted = ok(&password_grant(&app, &client_id, "offline_access read"));
        let access = granted["access_token"].as_str().unwrap().to_owned();
        let refresh_token = granted["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(header_of(&access)["typ"], "at+jwt");
        assert!(header_of(&access)["kid"].is_string());
        let active = introspect(&client_id, Some(SECRET), &access);
        assert_eq!(active.header("cache-control"), Some("no-store"));
        let body = active.json();
        assert_eq!((body["active"].as_bool(), body["token_type"].as_str(), body["token_use"].as_str()), (Some(true), Some("Bearer"), Some("access_token")));
        assert_eq!(body["aud"], claims_of(&access)["aud"]);
        assert_eq!((body["client_id"].as_str(), body["scope"].as_str()), (Some(client_id.as_str()), Some("offline_access read")));
        assert_eq!(body["sub"], claims_of(&access)["sub"]);
        assert_eq!(body["sid"], claims_of(&access)["sid"]);
        assert_eq!((body["amr"].clone(), body["acr"].clone()), (json!(["pwd"]), json!("1")));
        assert!(body["exp"].is_i64() && body["iat"].is_i64());
        let refresh_answer = introspect(&client_id, Some(SECRET), &refresh_token).json();
        assert_eq!((refresh_answer["active"].as_bool(), refresh_answer["token_use"].as_str()), (Some(true), Some("refresh_token")));
        assert!(refresh_answer.get("token_type").is_none(), "RFC 7662: token_type is the RFC 6749 §5.1 type of an access token");
        // Another client learns nothing about them.
        for token in [&access, &refresh_token] {
            assert_eq!(introspect(&other_client, Some(SECRET), token).json(), json!({ "active": false }));
        }
        // A token of the /api flow belongs to no client.
        let api_token = app.login(EMAIL, PASSWORD);
        let api_answer = introspect(&other_client, Some(SECRET), &api_token).json();
        assert_eq!(api_answer["active"], true);
        assert!(api_answer.get("client_id").is_none());
        // After a logout, neither the access token nor the session's refresh token is active.
        assert_eq!(app.post("/api/logout").bearer(&access).send().status, 200);
        for token in [&access, &refresh_token] {
            assert_eq!(introspect(&client_id, Some(SECRET), token).json(), json!({ "active": false }));
        }
        for garbage in ["not.a.token", "nothing", "a.b.c"] {
            assert_eq!(introspect(&client_id, Some(SECRET), garbage).json(), json!({ "active": false }));
        }
        // Client authentication as at /oauth/token; a public client may not introspect.
        assert_oauth_error(&introspect(&client_id, Some("wrong secret"), &api_token), 401, "invalid_client");
        assert_oauth_error(&introspect(&public_client, None, &api_token), 401, "invalid_client");
        assert_oauth_error(&app.post("/oauth/introspect").form(&format!("client_id={client_id}&client_secret={SECRET}")).send(), 400, "invalid_request");
    }

    fn an_expired_access_token_is_inactive(backend) {
        let app = TestApp::spawn(backend);
        let client_id = setup(&app, FIRST_PARTY);
        let (user_id, _) = app.user_with_token();
        let expired = app.forge(&app.claims(&user_id, 7200, 3600));
        let answer = app.post("/oauth/introspect")
            .form(&serde_urlencoded::to_string([("token", expired.as_str()), ("client_id", client_id.as_str()), ("client_secret", SECRET)]).unwrap())
            .send();
        assert_eq!(answer.json(), json!({ "active": false }));
    }
}
