//! Several instances on one PostgreSQL database (issue 13): one blacklist, one set of sessions, one
//! set of rate limits, one key ring, migrations run once, and a graceful stop that loses nothing.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use jwt_auth_server::db::{DatabaseUrl, DbPool};
use jwt_auth_server::models::Hit;
use jwt_auth_server::models::rate_limit_counter as counter;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, TestDb, TestResponse, test_config};

/// A hit of `key` at `now_ms` under a limit of 5 per minute.
fn hit(key: &str, now_ms: i64) -> Hit {
    Hit {
        key: key.to_owned(),
        max: 5,
        width_ms: 60_000,
        now_ms,
    }
}

fn login(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.post("/api/login")
        .json(&json!({ "email": email, "password": password }))
        .send()
}

api_tests! {
    // The shared store's window rule, on a clock passed in: never more than the limit in any
    // window, also across a boundary.
    fn the_shared_store_never_admits_more_than_the_limit_in_any_window(backend) {
        let db = TestDb::create(backend);
        let pool = DbPool::connect(&DatabaseUrl::parse(&db.url).unwrap(), 2, Duration::from_secs(5)).unwrap();
        pool.run_migrations().unwrap();
        let mut conn = pool.get().unwrap();
        let minute = 60_000;
        let end_of_window = 1_000 * minute - 1;
        for _ in 0..5 {
            assert!(counter::attempt(&mut conn.connection, &hit("k", end_of_window)).unwrap().is_ok());
        }
        let refused = counter::attempt(&mut conn.connection, &hit("k", end_of_window)).unwrap();
        assert!(refused.is_err());
        // Just across the boundary the five hits are a millisecond old: still refused.
        assert!(counter::attempt(&mut conn.connection, &hit("k", end_of_window + 2)).unwrap().is_err());
        assert!(counter::is_full(&mut conn.connection, &hit("k", end_of_window + 2)).unwrap());
        // A full window later they count no more.
        let window = counter::attempt(&mut conn.connection, &hit("k", end_of_window + 1 + minute)).unwrap().unwrap();
        counter::release(&mut conn.connection, "k", window).unwrap();
        counter::clear(&mut conn.connection, "k").unwrap();
        assert!(!counter::is_full(&mut conn.connection, &hit("k", end_of_window)).unwrap());
        assert_eq!(counter::prune(&mut conn.connection, i64::MAX).unwrap(), 0, "cleared rows are gone");
    }

    // It may turn synchronous_commit off, which would make a caller's whole transaction commit
    // asynchronously: inside one it is an error, and nothing is counted.
    fn a_shared_hit_refuses_to_run_inside_a_transaction(backend) {
        let db = TestDb::create(backend);
        let pool = DbPool::connect(&DatabaseUrl::parse(&db.url).unwrap(), 2, Duration::from_secs(5)).unwrap();
        pool.run_migrations().unwrap();
        let mut conn = pool.get().unwrap();
        let inside = conn.connection.transaction(|c| counter::attempt(c, &hit("t", 1_000_000)));
        assert!(inside.unwrap_err().to_string().contains("outside a transaction"));
        assert!(!counter::is_full(&mut conn.connection, &Hit { max: 1, ..hit("t", 1_000_000) }).unwrap());
    }

    fn concurrent_attempts_on_the_shared_store_admit_exactly_the_limit(backend) {
        let db = TestDb::create(backend);
        let pool = DbPool::connect(&DatabaseUrl::parse(&db.url).unwrap(), 20, Duration::from_secs(10)).unwrap();
        pool.run_migrations().unwrap();
        let barrier = Arc::new(Barrier::new(20));
        let admitted: usize = (0..20)
            .map(|_| {
                let (pool, barrier) = (pool.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut conn = pool.get().unwrap();
                    barrier.wait();
                    loop {
                        match counter::attempt(&mut conn.connection, &hit("busy", 1_000_000)) {
                            Ok(answer) => return answer.is_ok(),
                            // SQLite's one writer at a time: wait and try again.
                            Err(error) if error.to_string().contains("locked") => std::thread::sleep(Duration::from_millis(5)),
                            Err(error) => panic!("{error}"),
                        }
                    }
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum();
        assert_eq!(admitted, 5);
    }
}

/// The three instances of the tests below, on one fresh PostgreSQL database.
fn three_instances() -> Option<(TestApp, TestApp, TestApp)> {
    let backend = Backend::postgres()?;
    let a = TestApp::spawn(backend);
    let b = a.spawn_beside(|_| {});
    let c = a.spawn_beside(|_| {});
    Some((a, b, c))
}

#[test]
fn three_instances_share_the_blacklist_sessions_and_rate_limits() {
    let Some((a, b, c)) = three_instances() else {
        return;
    };
    a.register("three@example.com", PASSWORD);
    let token = a.login("three@example.com", PASSWORD);
    let refreshed = b.get("/api/refresh").bearer(&token).send();
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let successor = refreshed.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(c.post("/api/logout").bearer(&successor).send().status, 200);
    for app in [&a, &b, &c] {
        app.get("/api/me")
            .bearer(&successor)
            .send()
            .assert_error(401, "token_blacklisted");
        app.get("/api/me")
            .bearer(&token)
            .send()
            .assert_error(401, "token_blacklisted");
    }
    // Five failed logins spread over the three lock the account as one instance would.
    for app in [&a, &b, &c, &a, &b] {
        login(app, "three@example.com", "wrong password").assert_error(401, "invalid_credentials");
    }
    for app in [&a, &b, &c] {
        login(app, "three@example.com", PASSWORD).assert_error(429, "too_many_requests");
    }
}

#[test]
fn concurrent_refreshes_spread_over_three_instances_have_one_winner() {
    let Some((a, b, c)) = three_instances() else {
        return;
    };
    a.register("race@example.com", PASSWORD);
    let token = a.login("race@example.com", PASSWORD);
    let apps = Arc::new([a, b, c]);
    let barrier = Arc::new(Barrier::new(9));
    let answers: Vec<u16> = (0..9)
        .map(|n| {
            let (apps, barrier, token) = (apps.clone(), barrier.clone(), token.clone());
            std::thread::spawn(move || {
                barrier.wait();
                apps[n % 3].get("/api/refresh").bearer(&token).send().status
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert_eq!(
        answers.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|s| *s == 200 || *s == 401),
        "{answers:?}"
    );
}

#[test]
fn refreshes_spread_over_three_instances_share_one_limit() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let a = TestApp::spawn_with(backend, |c| c.rate_limit.refresh_ip_per_5_minutes = 2);
    let (b, c) = (a.spawn_beside(|_| {}), a.spawn_beside(|_| {}));
    #[derive(QueryableByName)]
    struct Hits {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let hits = || {
        a.query(|conn| {
            diesel::sql_query(
                "SELECT CAST(COALESCE(SUM(hits), 0) AS BIGINT) AS n FROM rate_limit_counters",
            )
            .get_result::<Hits>(conn)
        })
        .n
    };
    let (_, mut token) = a.user_with_token();
    let before = hits();
    for app in [&a, &b] {
        let refreshed = app.get("/api/refresh").bearer(&token).send();
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
        token = refreshed.json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    c.get("/api/refresh")
        .bearer(&token)
        .send()
        .assert_error(429, "too_many_requests");
    assert_eq!(
        hits() - before,
        2,
        "two refreshes counted, the refused one not"
    );
    assert_eq!(
        c.get("/api/me").bearer(&token).send().status,
        200,
        "the token was not refreshed"
    );
}

#[test]
fn three_instances_starting_together_run_each_migration_once() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let db = TestDb::create(backend);
    let barrier = Arc::new(Barrier::new(3));
    let started: Vec<_> = (0..3)
        .map(|_| {
            let (url, barrier) = (db.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                jwt_auth_server::startup::build(test_config(url)).map(drop)
            })
        })
        .collect();
    for start in started {
        start.join().unwrap().expect("every instance starts");
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(&db.url).unwrap();
    let count: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut conn)
        .unwrap();
    let distinct: Count =
        diesel::sql_query("SELECT COUNT(DISTINCT version) AS n FROM __diesel_schema_migrations")
            .get_result(&mut conn)
            .unwrap();
    assert_eq!(count.n, distinct.n);
    assert!(count.n >= 7, "{}", count.n);
}

#[test]
fn a_graceful_stop_during_twenty_logins_loses_none_of_them() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let a = TestApp::spawn_with(backend, |c| {
        c.bcrypt_rounds = 10;
        c.hash_concurrency = 1;
        c.hash_queue_timeout = Duration::from_secs(60);
        c.rate_limit.enabled = false;
    });
    let b = Arc::new(a.spawn_beside(|_| {}));
    a.register("stop@example.com", PASSWORD);
    let barrier = Arc::new(Barrier::new(21));
    let logins: Vec<_> = (0..20)
        .map(|_| {
            let (b, barrier) = (b.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                login(&b, "stop@example.com", PASSWORD).status
            })
        })
        .collect();
    barrier.wait();
    std::thread::sleep(Duration::from_millis(200)); // the logins are queued behind bcrypt
    b.stop_gracefully();
    let answers: Vec<u16> = logins.into_iter().map(|l| l.join().unwrap()).collect();
    assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
    // The other instance serves on.
    assert_eq!(login(&a, "stop@example.com", PASSWORD).status, 200);
}
