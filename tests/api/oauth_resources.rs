//! OAuth beyond a user's login (issue 24): client credentials, resource indicators (RFC 8707) and
//! the audience of access tokens (RFC 9068 §2.2), introspection as RFC 7662 clients read it, and
//! the RFC 8414 document.

use diesel::prelude::*;
use jwt_auth_server::crypto::sha256_hex;
use jwt_auth_server::db::{self, Id};
use jwt_auth_server::models::OAuthClient;
use jwt_auth_server::schema::sessions;
use serde_json::{Value, json};

use crate::helpers::{ISSUER, PASSWORD, TestApp, claims_of};

const SECRET: &str = "a client secret of the resource tests";
const ORDERS: &str = "https://orders.example";

/// A confidential client with `grants`, scopes `read write offline_access` and the resource
/// ORDERS; its id.
fn client(app: &TestApp, grants: &str) -> String {
    let id = Id::now_v7();
    app.query(|conn| {
        OAuthClient::create(
            conn,
            &OAuthClient {
                id,
                name: "service".into(),
                secret_hash: Some(sha256_hex(SECRET.as_bytes())),
                grant_types: grants.into(),
                scopes: "offline_access read write".into(),
                first_party: true,
                always_issue_refresh_token: true,
                created_at: db::now(),
                redirect_uris: String::new(),
                resources: ORDERS.into(),
                skip_consent: false,
                post_logout_redirect_uris: String::new(),
            },
        )
    });
    id.to_string()
}

fn introspect(app: &TestApp, client_id: &str, token: &str) -> Value {
    let params = [
        ("token", token),
        ("client_id", client_id),
        ("client_secret", SECRET),
    ];
    app.post("/oauth/introspect")
        .form(&serde_urlencoded::to_string(params).unwrap())
        .send()
        .json()
}

api_tests! {
    fn client_credentials_give_a_confidential_client_a_token_for_itself_and_no_user(backend) {
        let app = TestApp::spawn(backend);
        let id = client(&app, "client_credentials");
        let answer = app.token(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", SECRET), ("scope", "read")]);
        assert_eq!(answer.status, 200, "{}", answer.text);
        let body = answer.json();
        assert!(body.get("refresh_token").is_none(), "no refresh token: {body}");
        assert_eq!((body["token_type"].as_str(), body["scope"].as_str()), (Some("Bearer"), Some("read")));
        let access = body["access_token"].as_str().unwrap();
        let claims = claims_of(access);
        assert_eq!((claims["sub"].as_str(), claims["client_id"].as_str()), (Some(id.as_str()), Some(id.as_str())));
        assert_eq!(claims["aud"], ISSUER);
        assert!(claims.get("sid").is_none() && claims.get("amr").is_none(), "{claims}");
        let open: i64 = app.query(|conn| sessions::table.count().get_result(conn));
        assert_eq!(open, 0, "no session");
        app.get("/api/me").bearer(access).send().assert_error(401, "user_not_found");
        let seen = introspect(&app, &id, access);
        assert_eq!((seen["active"].clone(), seen["sub"].clone(), seen["token_use"].clone(), seen["token_type"].clone()),
            (json!(true), json!(id), json!("access_token"), json!("Bearer")));
        // Revocation declines (RFC 7009 §2.2): it lives JWT_TTL, and nothing breaks.
        let revoke = [("token", access), ("client_id", id.as_str()), ("client_secret", SECRET)];
        assert_eq!(app.post("/oauth/revoke").form(&serde_urlencoded::to_string(revoke).unwrap()).send().status, 200);
        // offline_access buys nothing here, and a client without the grant is refused.
        let all = app.token(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", SECRET)]).json();
        assert_eq!(all["scope"], "read write");
        let other = client(&app, "password refresh_token");
        let refused = app.token(&[("grant_type", "client_credentials"), ("client_id", &other), ("client_secret", SECRET)]);
        assert_eq!((refused.status, refused.json()["error"].clone()), (400, json!("unauthorized_client")));
        let wrong = app.token(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", "wrong")]);
        assert_eq!((wrong.status, wrong.json()["error"].clone()), (401, json!("invalid_client")));
    }

    fn a_resource_narrows_the_audience_and_an_unregistered_one_is_invalid_target(backend) {
        let app = TestApp::spawn(backend);
        app.register("res@example.com", PASSWORD);
        let id = client(&app, "password refresh_token client_credentials");
        let password = |resource: Option<&str>| {
            let mut params = vec![("grant_type", "password"), ("client_id", id.as_str()), ("client_secret", SECRET),
                ("username", "res@example.com"), ("password", PASSWORD), ("scope", "offline_access read")];
            if let Some(resource) = resource { params.push(("resource", resource)); }
            app.token(&params)
        };
        let unknown = password(Some("https://billing.example"));
        assert_eq!((unknown.status, unknown.json()["error"].clone()), (400, json!("invalid_target")));
        let sessions_after_refusal: i64 = app.query(|conn| sessions::table.count().get_result(conn));
        assert_eq!(sessions_after_refusal, 0);
        let cc = app.token(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", SECRET), ("resource", "https://billing.example")]);
        assert_eq!(cc.json()["error"], "invalid_target");

        let for_orders = password(Some(ORDERS)).json();
        let access = for_orders["access_token"].as_str().unwrap();
        assert_eq!(claims_of(access)["aud"], ORDERS);
        let stored: Option<String> = app.query(|conn| sessions::table.select(sessions::resource).first(conn));
        assert_eq!(stored.as_deref(), Some(ORDERS));
        app.get("/api/me").bearer(access).send().assert_error(401, "token_invalid");
        assert_eq!(introspect(&app, &id, access)["aud"], ORDERS, "introspection answers for every resource server");

        // The refresh keeps the audience; it may name the same resource, not another.
        let refresh = for_orders["refresh_token"].as_str().unwrap();
        let other = app.token(&[("grant_type", "refresh_token"), ("client_id", &id), ("client_secret", SECRET), ("refresh_token", refresh), ("resource", ISSUER)]);
        assert_eq!(other.json()["error"], "invalid_target");
        let same = app.token(&[("grant_type", "refresh_token"), ("client_id", &id), ("client_secret", SECRET), ("refresh_token", refresh), ("resource", ORDERS)]);
        assert_eq!(same.status, 200, "{}", same.text);
        assert_eq!(claims_of(same.json()["access_token"].as_str().unwrap())["aud"], ORDERS);

        let for_api = password(None).json();
        let api_access = for_api["access_token"].as_str().unwrap();
        assert_eq!(claims_of(api_access)["aud"], ISSUER, "without a resource: OAUTH_DEFAULT_RESOURCE");
        assert_eq!(app.get("/api/me").bearer(api_access).send().json()["email"], "res@example.com");
    }

    fn the_metadata_lists_the_grants_and_only_the_public_scopes(backend) {
        let app = TestApp::spawn_with(backend, |c| c.oauth.public_scopes = vec!["read".into(), "orders:write".into()]);
        client(&app, "password refresh_token");
        let meta = app.get("/.well-known/oauth-authorization-server").send().json();
        assert_eq!(meta["grant_types_supported"], json!(["authorization_code", "refresh_token", "client_credentials", "password"]));
        assert_eq!(meta["scopes_supported"], json!(["read", "orders:write"]), "not the clients' own scopes");
        assert_eq!(meta["token_endpoint_auth_methods_supported"], json!(["client_secret_basic", "client_secret_post", "none"]));
    }
}
