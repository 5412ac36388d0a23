//! Token issue and verify without a database: `cargo bench`. A regression here shows before any load test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests say "this must hold" with unwrap

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use jwt_auth_server::config::{JwtConfig, Secret};
use jwt_auth_server::db::Id;
use jwt_auth_server::jwt::JwtService;

fn service() -> JwtService {
    JwtService::new(&JwtConfig {
        secret: Some(Secret::new("benchmark-secret-benchmark-secret-0123456789")),
        algo: jwt_auth_server::config::Algo::HS256,
        private_key: None,
        public_key: None,
        keys_reload_seconds: 30,
        issuer: "http://localhost:8000".into(),
        ttl_minutes: 60,
        refresh_ttl_minutes: 20160,
        leeway_seconds: 0,
        blacklist_grace_seconds: 0,
        refresh_race_window_seconds: 10,
        laravel: None,
    })
}

fn tokens(c: &mut Criterion) {
    let jwt = service();
    let user = Id::now_v7();
    c.bench_function("token issue (claims + HS256 sign)", |b| {
        b.iter(|| {
            jwt.encode(&jwt.login_claims(black_box(user), chrono::Utc::now()))
                .unwrap()
        })
    });
    let token = jwt
        .encode(&jwt.login_claims(user, chrono::Utc::now()))
        .unwrap();
    c.bench_function("token verify (HS256 + claims)", |b| {
        b.iter(|| jwt.decode(black_box(&token), chrono::Utc::now()).unwrap())
    });
}

criterion_group!(benches, tokens);
criterion_main!(benches);
