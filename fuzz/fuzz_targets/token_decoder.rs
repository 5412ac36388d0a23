//! Any bytes as a bearer token: decoding must answer Ok or a TokenInvalid reason, never panic.
#![no_main]

use std::sync::LazyLock;

use jwt_auth_server::jwt::JwtService;
use jwt_auth_server::config::{JwtConfig, Secret};
use libfuzzer_sys::fuzz_target;

static JWT: LazyLock<JwtService> = LazyLock::new(|| {
    JwtService::new(&JwtConfig {
        secret: Some(Secret::new("fuzzing-secret-fuzzing-secret-0123456789")),
            algo: jwt_auth_server::config::Algo::HS256,
            private_key: None,
            public_key: None,
            keys_reload_seconds: 30,
        issuer: "http://localhost".into(),
        ttl_minutes: 60,
        refresh_ttl_minutes: 20160,
        leeway_seconds: 0,
        blacklist_grace_seconds: 0,
            refresh_race_window_seconds: 10,
        laravel: None,
    })
});

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        let now = chrono::Utc::now();
        if let Ok(claims) = JWT.decode(token, now) {
            let _ = (JWT.is_expired(&claims, now), JWT.is_refreshable(&claims, now), claims.issued_at_ms());
            let _ = JWT.blacklist_until(&claims);
        }
    }
});
