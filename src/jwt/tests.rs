//! Unit tests of `jwt`.

use super::*;
use crate::config::Secret;
use crate::error::AuthFailure;
use jsonwebtoken::Algorithm;

fn service() -> JwtService {
    JwtService::new(&service_config())
}

fn service_config() -> JwtConfig {
    JwtConfig {
        secret: Some(Secret::new("unit-test-secret-unit-test-secret-0123")),
        algo: crate::config::Algo::HS256,
        private_key: None,
        public_key: None,
        keys_reload_seconds: 30,
        issuer: "http://issuer.test".into(),
        ttl_minutes: 60,
        refresh_ttl_minutes: 20160,
        leeway_seconds: 0,
        blacklist_grace_seconds: 0,
        refresh_race_window_seconds: 10,
        laravel: None,
    }
}

#[test]
fn a_signed_token_decodes_to_the_same_claims() {
    let jwt = service();
    let claims = jwt.login_claims(Id::now_v7(), Utc::now());
    let token = jwt.encode(&claims).unwrap();
    assert_eq!(jwt.decode(&token, Utc::now()).unwrap(), claims);
    assert_eq!(claims.exp - claims.iat, 3600);
    assert_eq!(claims.orig_iat, Some(claims.iat));
}

#[test]
fn the_header_is_hs256_jwt() {
    let jwt = service();
    let token = jwt
        .encode(&jwt.login_claims(Id::now_v7(), Utc::now()))
        .unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(
        (header.alg, header.typ.as_deref()),
        (Algorithm::HS256, Some("JWT"))
    );
}

fn oauth_claims(jwt: &JwtService) -> Claims {
    let client = Id::now_v7();
    Claims {
        client_id: Some(client),
        aud: Some(client.to_string()),
        scope: Some("read".into()),
        ..jwt.login_claims(Id::now_v7(), Utc::now())
    }
}

#[test]
fn oauth_access_tokens_are_typed_at_jwt_with_the_client_as_audience() {
    let jwt = service();
    let claims = oauth_claims(&jwt);
    let token = jwt.encode(&claims).unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(jwt.decode(&token, Utc::now()).unwrap(), claims);
}

#[test]
fn a_token_whose_type_and_claims_disagree_is_invalid() {
    let jwt = service();
    let sign = |typ: &str, claims: &Claims| {
        let header = Header {
            typ: Some(typ.into()),
            ..Header::new(Algorithm::HS256)
        };
        jsonwebtoken::encode(&header, claims, &jwt.secret.as_ref().unwrap().0).unwrap()
    };
    let oauth = oauth_claims(&jwt);
    let plain = jwt.login_claims(Id::now_v7(), Utc::now());
    let other_audience = Claims {
        aud: Some(Id::now_v7().to_string()),
        ..oauth.clone()
    };
    let no_audience = Claims {
        aud: None,
        ..oauth.clone()
    };
    // Another audience is a valid token: whether it is meant for the caller is the guard's call.
    assert!(
        jwt.decode(&sign("at+jwt", &other_audience), Utc::now())
            .is_ok()
    );
    for token in [
        sign("JWT", &oauth),
        sign("at+jwt", &plain),
        sign("JWT", &other_audience),
        sign("at+jwt", &no_audience),
        sign("JWT", &no_audience),
    ] {
        assert!(
            matches!(
                jwt.decode(&token, Utc::now()),
                Err(AuthFailure::TokenInvalid(_))
            ),
            "{token}"
        );
    }
    assert!(
        jwt.decode(&sign("at+JWT", &oauth), Utc::now()).is_ok(),
        "typ is case-insensitive"
    );
}

#[test]
fn a_recorded_successor_signs_to_the_same_token() {
    let jwt = service();
    let old = jwt.login_claims(Id::now_v7(), Utc::now());
    let next = jwt.successor_claims(&old, Utc::now());
    let again = jwt.recorded_successor(&old, next.jti, next.iat, next.exp);
    assert_eq!(again, next);
    assert_eq!(jwt.encode(&next).unwrap(), jwt.encode(&again).unwrap());
    assert_eq!(next.orig_iat, old.orig_iat);
    assert_ne!(next.jti, old.jti);
}

#[test]
fn the_jti_carries_the_issue_time_in_milliseconds() {
    let now = Utc::now();
    let claims = service().login_claims(Id::now_v7(), now);
    assert_eq!(claims.issued_at_ms(), now.timestamp_millis());
}

#[test]
fn a_token_with_a_future_iat_is_invalid() {
    let jwt = service();
    let claims = jwt.login_claims(Id::now_v7(), Utc::now() + chrono::Duration::seconds(30));
    let token = jwt
        .encode(&Claims {
            nbf: Utc::now().timestamp(),
            ..claims
        })
        .unwrap();
    assert!(matches!(
        jwt.decode(&token, Utc::now()),
        Err(AuthFailure::TokenInvalid(_))
    ));
}

fn es256_service() -> JwtService {
    let jwt = JwtService::new(&JwtConfig {
        algo: crate::config::Algo::ES256,
        ..service_config()
    });
    let (pair, _) = keys::KeyPair::generate(crate::config::Algo::ES256).unwrap();
    jwt.set_ring(KeyRing::new(Some(pair), Vec::new()));
    jwt
}

#[test]
fn a_token_is_verified_once_and_then_remembered() {
    let jwt = es256_service();
    let claims = jwt.login_claims(Id::now_v7(), Utc::now());
    let token = jwt.encode(&claims).unwrap();
    assert_eq!(jwt.decode(&token, Utc::now()).unwrap(), claims);
    assert_eq!(jwt.verified_tokens(), 1);
    assert_eq!(jwt.decode(&token, Utc::now()).unwrap(), claims);
    assert_eq!(jwt.verified_tokens(), 1);
    // A token that fails is not remembered.
    let mut forged = token.clone();
    forged.pop();
    assert!(jwt.decode(&forged, Utc::now()).is_err());
    assert_eq!(jwt.verified_tokens(), 1);
}

#[test]
fn a_remembered_token_is_refused_once_its_key_leaves_the_ring() {
    let jwt = es256_service();
    let token = jwt
        .encode(&jwt.login_claims(Id::now_v7(), Utc::now()))
        .unwrap();
    assert!(jwt.decode(&token, Utc::now()).is_ok());
    let (other, _) = keys::KeyPair::generate(crate::config::Algo::ES256).unwrap();
    jwt.set_ring(KeyRing::new(Some(other), Vec::new()));
    assert_eq!(
        jwt.decode(&token, Utc::now()),
        Err(AuthFailure::TokenInvalid(
            "The token's key (kid) is not known"
        ))
    );
}

#[test]
fn the_verified_tokens_stay_bounded() {
    let jwt = service();
    for _ in 0..verified::CAPACITY + 10 {
        let token = jwt
            .encode(&jwt.login_claims(Id::now_v7(), Utc::now()))
            .unwrap();
        jwt.decode(&token, Utc::now()).unwrap();
    }
    assert!(jwt.verified_tokens() <= verified::CAPACITY);
}
