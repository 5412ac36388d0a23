//! GET|POST /refresh: the refresh guard, the blacklist and concurrent refreshes.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use jwt_auth_server::db::Id;
use jwt_auth_server::models::BlacklistedToken;
use jwt_auth_server::schema::blacklisted_tokens;
use serde_json::json;

use crate::helpers::{TestApp, TestResponse, claims_of, now};

fn refresh(app: &TestApp, token: &str) -> TestResponse {
    app.get("/api/refresh").bearer(token).send()
}

fn token_of(response: &TestResponse) -> String {
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["access_token"].as_str().unwrap().to_owned()
}

fn jti(token: &str) -> Id {
    Id(uuid::Uuid::parse_str(claims_of(token)["jti"].as_str().unwrap()).unwrap())
}

fn blacklist(app: &TestApp) -> Vec<BlacklistedToken> {
    app.query(|conn| blacklisted_tokens::table.load(conn))
}

/// Fires `n` refreshes of `token` at once from real threads.
fn refresh_concurrently(app: &Arc<TestApp>, token: &str, n: usize) -> Vec<TestResponse> {
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (app, barrier, token) = (app.clone(), barrier.clone(), token.to_owned());
            std::thread::spawn(move || {
                barrier.wait();
                refresh(&app, &token)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

api_tests! {
    fn refresh_answers_a_new_token_and_blacklists_the_old_one(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, old) = app.user_with_token();
        let response = app.post("/api/auth/refresh").bearer(&old).send();
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.json()["expires_in"], 3600);
        let new = token_of(&response);
        let (old_claims, new_claims) = (claims_of(&old), claims_of(&new));
        assert_ne!(old_claims["jti"], new_claims["jti"]);
        assert_eq!((&new_claims["sub"], &new_claims["orig_iat"]), (&json!(user_id), &old_claims["orig_iat"]));

        app.get("/api/me").bearer(&old).send().assert_error(401, "token_blacklisted");
        assert_eq!(app.get("/api/me").bearer(&new).send().status, 200);

        let rows = blacklist(&app);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!((row.jti, row.successor_jti), (jti(&old), Some(jti(&new))));
        assert_eq!(row.successor_exp, new_claims["exp"].as_i64());
        // The row outlives the token: until the end of the refresh window (plus leeway 0).
        let window_end = old_claims["orig_iat"].as_i64().unwrap() + 20160 * 60;
        assert_eq!(row.expires_at.and_utc().timestamp(), window_end);
    }

    fn every_refresh_path_and_method_works(backend) {
        let app = TestApp::spawn(backend);
        let (_, mut token) = app.user_with_token();
        for path in ["/api/refresh", "/api/auth/refresh"] {
            for method in ["GET", "POST"] {
                let response = app.request(method, path).bearer(&token).send();
                token = token_of(&response);
            }
        }
        assert_eq!(blacklist(&app).len(), 4);
    }

    fn a_refreshed_token_cannot_be_refreshed_again(backend) {
        let app = TestApp::spawn(backend);
        let (_, old) = app.user_with_token();
        token_of(&refresh(&app, &old));
        let again = refresh(&app, &old);
        again.assert_error(401, "token_blacklisted");
        assert_eq!(again.json()["message"], "The token has been blacklisted");
        assert_eq!(blacklist(&app).len(), 1);
    }

    fn an_expired_token_is_refreshable_inside_the_window(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, _) = app.user_with_token();
        let expired = app.forge(&app.claims(&user_id, 7200, 3600));
        app.get("/api/me").bearer(&expired).send().assert_error(401, "token_expired");
        let new = token_of(&refresh(&app, &expired));
        assert_eq!(claims_of(&new)["orig_iat"], claims_of(&expired)["orig_iat"]);
        assert_eq!(app.get("/api/me").bearer(&new).send().status, 200);
    }

    fn a_token_past_its_refresh_window_is_401_refresh_expired(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, _) = app.user_with_token();
        let mut claims = app.claims(&user_id, 3700, 3600);
        claims["orig_iat"] = json!(now() - 20160 * 60);
        let response = refresh(&app, &app.forge(&claims));
        response.assert_error(401, "refresh_expired");
        assert_eq!(response.json()["message"], "Token has expired and can no longer be refreshed");
        assert!(blacklist(&app).is_empty());
    }

    fn a_token_without_orig_iat_counts_the_window_from_iat(backend) {
        let app = TestApp::spawn(backend);
        let (user_id, _) = app.user_with_token();
        let mut recent = app.claims(&user_id, 7200, 3600);
        recent.as_object_mut().unwrap().remove("orig_iat");
        token_of(&refresh(&app, &app.forge(&recent)));
        let mut old = app.claims(&user_id, 20160 * 60 + 1, 3600);
        old.as_object_mut().unwrap().remove("orig_iat");
        refresh(&app, &app.forge(&old)).assert_error(401, "refresh_expired");
    }

    fn concurrent_refreshes_have_exactly_one_winner_without_grace(backend) {
        let app = Arc::new(TestApp::spawn(backend));
        let (_, old) = app.user_with_token();
        let responses = refresh_concurrently(&app, &old, 10);
        let winners: Vec<_> = responses.iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "{responses:?}");
        for loser in responses.iter().filter(|r| r.status != 200) {
            loser.assert_error(401, "token_blacklisted");
        }
        let rows = blacklist(&app);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].successor_jti, Some(jti(&token_of(winners[0]))));
    }

    fn concurrent_refreshes_share_one_successor_during_the_grace(backend) {
        let app = Arc::new(TestApp::spawn_with(backend, |c| c.jwt.blacklist_grace_seconds = 30));
        let (_, old) = app.user_with_token();
        let responses = refresh_concurrently(&app, &old, 10);
        let tokens: Vec<String> = responses.iter().map(token_of).collect();
        assert!(tokens.iter().all(|t| *t == tokens[0]), "every caller gets the same successor");
        assert_ne!(tokens[0], old);
        assert_eq!(blacklist(&app).len(), 1);
        assert_eq!(app.get("/api/me").bearer(&tokens[0]).send().status, 200);
    }

    fn during_the_grace_the_old_token_still_works_everywhere(backend) {
        let app = TestApp::spawn_with(backend, |c| c.jwt.blacklist_grace_seconds = 30);
        let (_, old) = app.user_with_token();
        let new = token_of(&refresh(&app, &old));
        assert_eq!(app.get("/api/me").bearer(&old).send().status, 200);
        assert_eq!(token_of(&refresh(&app, &old)), new, "the same successor, not another one");
        assert_eq!(blacklist(&app).len(), 1);
    }

    fn after_the_grace_the_old_token_is_rejected(backend) {
        let app = TestApp::spawn_with(backend, |c| c.jwt.blacklist_grace_seconds = 30);
        let (_, old) = app.user_with_token();
        token_of(&refresh(&app, &old));
        // Instead of sleeping 30 s: the grace ended a second ago.
        app.execute("UPDATE blacklisted_tokens SET grace_until = created_at");
        app.get("/api/me").bearer(&old).send().assert_error(401, "token_blacklisted");
        refresh(&app, &old).assert_error(401, "token_blacklisted");
    }
}
