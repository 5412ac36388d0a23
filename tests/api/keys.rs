//! Signing keys (issue 12): asymmetric algorithms, the JWKS, rotation across instances, the fixed
//! PEM key, introspection and the server metadata.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwt_auth_server::config::{Algo, Config};
use jwt_auth_server::crypto::AppKey;
use jwt_auth_server::jwt::keys::KeyPair;
use jwt_auth_server::maintenance::SIGNING_KEYS_CIPHER;
use jwt_auth_server::models::SigningKey;
use jwt_auth_server::models::signing_key::{CURRENT, NEXT, PREVIOUS, RETIRED};
use serde_json::{Value, json};

use crate::helpers::{APP_KEY, ISSUER, PASSWORD, TestApp, claims_of, header_of};

const ASYMMETRIC: [Algo; 3] = [Algo::ES256, Algo::EdDSA, Algo::RS256];

pub fn with_algo(algo: Algo) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| {
        c.jwt.algo = algo;
        c.jwt.keys_reload_seconds = 1;
    }
}

pub fn jwks(app: &TestApp) -> JwkSet {
    let response = app.get("/.well-known/jwks.json").send();
    assert_eq!(response.status, 200, "{}", response.text);
    serde_json::from_str(&response.text).unwrap()
}

/// Verifies `token` with nothing but the published JWKS, as another service would.
fn verify_offline(app: &TestApp, token: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let header = jsonwebtoken::decode_header(token)?;
    let set = jwks(app);
    let jwk = set
        .find(header.kid.as_deref().unwrap_or(""))
        .expect("the kid is published");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[ISSUER]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk)?, &validation)
        .map(|d| d.claims)
}

/// Logs a fresh user in; (email, token).
fn user_token(app: &TestApp) -> (String, String) {
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    app.register(&email, PASSWORD);
    let token = app.login(&email, PASSWORD);
    (email, token)
}

/// Logs in until the token is signed by a key other than `old` (the ring is read every second).
fn token_signed_by_another_key(app: &TestApp, email: &str, old: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let token = app.login(email, PASSWORD);
        if header_of(&token)["kid"] != old {
            return token;
        }
        assert!(
            Instant::now() < deadline,
            "the rotation never reached the server"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn rotate(app: &TestApp) -> String {
    let cipher = AppKey::parse(APP_KEY)
        .unwrap()
        .cipher(SIGNING_KEYS_CIPHER)
        .unwrap();
    app.query(|conn| {
        let (next, _) = SigningKey::generate(
            app.config.jwt.algo,
            NEXT,
            &cipher,
            jwt_auth_server::db::now(),
        )
        .unwrap();
        SigningKey::create(conn, &next)?;
        SigningKey::rotate(conn, jwt_auth_server::db::now())
    })
    .unwrap()
}

fn states(app: &TestApp) -> Vec<(String, String)> {
    app.query(SigningKey::all)
        .into_iter()
        .map(|k| (k.kid, k.state))
        .collect()
}

api_tests! {
    fn every_algorithm_signs_tokens_a_standard_verifier_accepts_with_the_published_key(backend) {
        for algo in ASYMMETRIC {
            let app = TestApp::spawn_with(backend, with_algo(algo));
            let (_, token) = user_token(&app);
            let header = header_of(&token);
            assert_eq!(header["alg"], algo.as_str());
            assert_eq!(header["typ"], "JWT");
            let set = jwks(&app);
            assert_eq!(set.keys.len(), 1, "{algo:?}");
            let published = serde_json::to_value(&set.keys[0]).unwrap();
            assert_eq!(published["kid"], header["kid"]);
            assert_eq!((published["alg"].as_str(), published["use"].as_str()), (Some(algo.as_str()), Some("sig")));
            assert!(published.get("d").is_none(), "no private parameter is published");
            let claims = verify_offline(&app, &token).unwrap();
            assert_eq!(claims["sub"], claims_of(&token)["sub"]);
            assert_eq!(app.get("/api/me").bearer(&token).send().status, 200);
            let rows = app.query(SigningKey::all);
            assert_eq!((rows.len(), rows[0].state.as_str(), rows[0].algorithm.as_str()), (1, CURRENT, algo.as_str()));
            assert!(!rows[0].private_key.contains("PRIVATE"), "stored encrypted");
        }
    }

    fn a_token_naming_a_key_with_the_wrong_algorithm_or_an_unknown_kid_is_invalid(backend) {
        let app = TestApp::spawn_with(backend, with_algo(Algo::ES256));
        let (_, token) = user_token(&app);
        let kid = header_of(&token)["kid"].as_str().unwrap().to_owned();
        let claims = claims_of(&token);
        // The public key as an HMAC secret: the classic algorithm confusion.
        let public = serde_json::to_string(&jwks(&app).keys[0]).unwrap();
        let confused = jsonwebtoken::encode(
            &Header { kid: Some(kid.clone()), ..Header::new(Algorithm::HS256) },
            &claims,
            &EncodingKey::from_secret(public.as_bytes()),
        ).unwrap();
        app.get("/api/me").bearer(&confused).send().assert_error(401, "token_invalid");
        // A valid signature by a key the server never published.
        let (stranger, pkcs8) = KeyPair::generate(Algo::ES256).unwrap();
        let foreign = jsonwebtoken::encode(
            &Header { kid: Some(stranger.public.kid.clone()), ..Header::new(Algorithm::ES256) },
            &claims,
            &EncodingKey::from_ec_pem(pem("PRIVATE KEY", &pkcs8).as_bytes()).unwrap(),
        ).unwrap();
        app.get("/api/me").bearer(&foreign).send().assert_error(401, "token_invalid");
        // Another key's kid with this key's algorithm, and `none`.
        let ed = TestApp::spawn_with(backend, with_algo(Algo::EdDSA));
        let (_, ed_token) = user_token(&ed);
        let ed_kid = header_of(&ed_token)["kid"].as_str().unwrap().to_owned();
        let (es_pair, es_pkcs8) = KeyPair::generate(Algo::ES256).unwrap();
        let mismatched = jsonwebtoken::encode(
            &Header { kid: Some(ed_kid), ..Header::new(Algorithm::ES256) },
            &claims_of(&ed_token),
            &EncodingKey::from_ec_pem(pem("PRIVATE KEY", &es_pkcs8).as_bytes()).unwrap(),
        ).unwrap();
        assert!(!es_pair.public.kid.is_empty());
        ed.get("/api/me").bearer(&mismatched).send().assert_error(401, "token_invalid");
        let unsigned = {
            use base64::Engine;
            let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
            format!("{}.{}.", b64(&json!({ "alg": "none", "typ": "JWT" })), b64(&claims))
        };
        app.get("/api/me").bearer(&unsigned).send().assert_error(401, "token_invalid");
        // Without a kid, only HS256 under JWT_SECRET: tokens from before the switch still verify,
        // and without a secret none does.
        let from_before = app.forge(&claims);
        assert_eq!(app.get("/api/me").bearer(&from_before).send().status, 200);
        let secretless = TestApp::spawn_with(backend, |c| {
            c.jwt.algo = Algo::ES256;
            c.jwt.secret = None;
        });
        let (_, own) = user_token(&secretless);
        let forged = secretless.forge(&claims_of(&own));
        secretless.get("/api/me").bearer(&forged).send().assert_error(401, "token_invalid");
        assert_eq!(secretless.get("/api/me").bearer(&own).send().status, 200);
    }

    fn rotation_keeps_old_tokens_working_signs_new_ones_with_the_new_key_and_retirement_ends_them(backend) {
        let app = TestApp::spawn_with(backend, with_algo(Algo::EdDSA));
        let (email, old) = user_token(&app);
        let kept = app.login(&email, PASSWORD);
        let old_kid = header_of(&old)["kid"].as_str().unwrap().to_owned();
        let new_kid = rotate(&app);
        let new = token_signed_by_another_key(&app, &email, &old_kid);
        assert_eq!(header_of(&new)["kid"], new_kid.as_str());
        assert_eq!(app.get("/api/me").bearer(&old).send().status, 200, "the previous key still verifies");
        let published: Vec<String> = jwks(&app).keys.iter().filter_map(|k| k.common.key_id.clone()).collect();
        assert!(published.contains(&old_kid) && published.contains(&new_kid), "{published:?}");
        let refreshed = app.get("/api/refresh").bearer(&old).send();
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        let successor = refreshed.json()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(header_of(&successor)["kid"], new_kid.as_str(), "refresh signs with the current key");
        assert!(app.query(|conn| SigningKey::retire(conn, &old_kid, jwt_auth_server::db::now())));
        let deadline = Instant::now() + Duration::from_secs(10);
        while jwks(&app).find(&old_kid).is_some() {
            assert!(Instant::now() < deadline, "the retirement never reached the server");
            std::thread::sleep(Duration::from_millis(100));
        }
        app.get("/api/me").bearer(&kept).send().assert_error(401, "token_invalid");
        assert_eq!(app.get("/api/me").bearer(&successor).send().status, 200);
        assert_eq!(states(&app).into_iter().find(|(k, _)| *k == old_kid).unwrap().1, RETIRED);
    }

    fn two_servers_on_one_database_see_one_rotation(backend) {
        let first = TestApp::spawn_with(backend, with_algo(Algo::ES256));
        let second = first.spawn_beside(|_| {});
        let (email, token) = user_token(&first);
        let kid = header_of(&token)["kid"].as_str().unwrap().to_owned();
        assert_eq!(header_of(&second.login(&email, PASSWORD))["kid"], kid.as_str(), "one ring, one current key");
        let new_kid = rotate(&first);
        let from_second = token_signed_by_another_key(&second, &email, &kid);
        assert_eq!(header_of(&from_second)["kid"], new_kid.as_str());
        assert_eq!(first.get("/api/me").bearer(&from_second).send().status, 200);
        assert_eq!(second.get("/api/me").bearer(&token).send().status, 200);
        let kinds: Vec<String> = states(&first).into_iter().map(|(_, s)| s).collect();
        assert_eq!(kinds, [PREVIOUS, CURRENT]);
    }

    fn a_start_with_another_algorithm_makes_a_new_current_key_and_keeps_the_old_one_verifying(backend) {
        let first = TestApp::spawn_with(backend, with_algo(Algo::ES256));
        let (email, es256) = user_token(&first);
        let second = first.spawn_beside(|c| c.jwt.algo = Algo::RS256);
        let (_, rs256) = user_token(&second);
        assert_eq!(header_of(&rs256)["alg"], "RS256");
        assert_eq!(second.get("/api/me").bearer(&es256).send().status, 200);
        // The instance still configured for ES256 signs with the ring's one current key (a rolling
        // switch of algorithm never leaves an instance without a key).
        let from_first = token_signed_by_another_key(&first, &email, header_of(&es256)["kid"].as_str().unwrap());
        assert_eq!(header_of(&from_first)["alg"], "RS256");
        assert_eq!(first.get("/api/me").bearer(&from_first).send().status, 200);
        let kinds: Vec<String> = states(&second).into_iter().map(|(_, s)| s).collect();
        assert_eq!(kinds, [PREVIOUS, CURRENT]);
    }

    fn the_jwks_is_cacheable_and_answers_304_to_its_etag(backend) {
        let app = TestApp::spawn_with(backend, with_algo(Algo::ES256));
        let response = app.get("/.well-known/jwks.json").send();
        assert_eq!(response.header("cache-control"), Some("public, max-age=300"));
        let etag = response.header("etag").unwrap().to_owned();
        let again = app.get("/.well-known/jwks.json").header("If-None-Match", &etag).send();
        assert_eq!((again.status, again.text.as_str(), again.header("etag")), (304, "", Some(etag.as_str())));
        let weak = app.get("/.well-known/jwks.json").header("If-None-Match", &format!("W/{etag}")).send();
        assert_eq!(weak.status, 304, "a proxy's weak tag matches too");
        let stale = app.get("/.well-known/jwks.json").header("If-None-Match", "\"other\"").send();
        assert_eq!(stale.status, 200);
        // HS256 alone publishes an empty set.
        let hs256 = TestApp::spawn(backend);
        assert_eq!(hs256.get("/.well-known/jwks.json").send().json(), json!({ "keys": [] }));
    }

    fn hs256_tokens_keep_exactly_their_header(backend) {
        let app = TestApp::spawn(backend);
        let (_, token) = user_token(&app);
        assert_eq!(header_of(&token), json!({ "alg": "HS256", "typ": "JWT" }));
    }

    fn a_fixed_pem_key_signs_with_its_thumbprint_as_kid(backend) {
        let (pair, pkcs8) = KeyPair::generate(Algo::ES256).unwrap();
        let dir = std::env::temp_dir().join(format!("pem-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("private.pem");
        std::fs::write(&path, pem("PRIVATE KEY", &pkcs8)).unwrap();
        let app = TestApp::spawn_with(backend, |c| {
            c.jwt.algo = Algo::ES256;
            c.jwt.private_key = Some(path.clone());
        });
        let (_, token) = user_token(&app);
        assert_eq!(header_of(&token)["kid"], pair.public.kid.as_str());
        assert!(verify_offline(&app, &token).is_ok());
        assert!(app.query(SigningKey::all).is_empty(), "the ring is not used");
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn the_metadata_names_every_endpoint(backend) {
        let app = TestApp::spawn(backend);
        let meta = app.get("/.well-known/oauth-authorization-server").send().json();
        assert_eq!(meta["issuer"], ISSUER);
        for (field, path) in [("token_endpoint", "/oauth/token"), ("revocation_endpoint", "/oauth/revoke"),
                              ("introspection_endpoint", "/oauth/introspect"), ("jwks_uri", "/.well-known/jwks.json")] {
            assert_eq!(meta[field], format!("{ISSUER}{path}"), "{field}");
        }
        assert_eq!(meta["grant_types_supported"], json!(["authorization_code", "refresh_token", "client_credentials", "password"]));
        assert_eq!(meta["scopes_supported"], json!([]), "no scope is public unless OAUTH_PUBLIC_SCOPES says so");
    }

    fn prune_retires_previous_keys_once_their_tokens_are_past_refreshing(backend) {
        let app = TestApp::spawn_with(backend, with_algo(Algo::ES256));
        rotate(&app);
        app.execute("UPDATE signing_keys SET state_since = '2000-01-01 00:00:00' WHERE state = 'previous'");
        let pruned = app.query(|conn| jwt_auth_server::maintenance::prune(conn, &app.config));
        assert_eq!(pruned.signing_keys_retired, 1);
        let kinds: Vec<String> = states(&app).into_iter().map(|(_, s)| s).collect();
        assert_eq!(kinds, [RETIRED, CURRENT]);
    }

    fn an_hs256_server_retires_a_leftover_asymmetric_key_once_its_tokens_are_over(backend) {
        // An ES256 server leaves a ring with a current key; the next start is HS256.
        let es256 = TestApp::spawn_with(backend, with_algo(Algo::ES256));
        let (_, es256_token) = es256.user_with_token();
        let app = es256.spawn_beside(|c| c.jwt.algo = Algo::HS256);
        assert_eq!(app.get("/api/me").bearer(&es256_token).send().status, 200, "its tokens still verify");
        let kinds: Vec<String> = states(&app).into_iter().map(|(_, s)| s).collect();
        assert_eq!(kinds, [PREVIOUS], "the HS256 start marked it: it signs nothing any more");
        let now = jwt_auth_server::db::now();
        let first = app.query(|conn| jwt_auth_server::maintenance::prune_at(conn, &app.config, now));
        assert_eq!(first.signing_keys_retired, 0, "its tokens may still be used");
        let window = chrono::Duration::minutes(i64::from(app.config.jwt.refresh_ttl_minutes));
        let later = now + window + chrono::Duration::minutes(1);
        let second = app.query(|conn| jwt_auth_server::maintenance::prune_at(conn, &app.config, later));
        assert_eq!(second.signing_keys_retired, 1);
        let kinds: Vec<String> = states(&app).into_iter().map(|(_, s)| s).collect();
        assert_eq!(kinds, [RETIRED]);
        drop(es256);
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
