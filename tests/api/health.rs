//! GET /health, and answers when the database cannot be reached.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

api_tests! {
    fn health_reports_the_database(backend) {
        let app = TestApp::spawn(backend);
        let response = app.get("/health").send();
        assert_eq!(response.status, 200);
        assert_eq!(response.json(), json!({ "status": "ok", "database": "ok" }));
    }

    // Issue 13: the probes of an orchestrator.
    fn liveness_and_readiness_probes_answer_and_name_what_is_not_ready(backend) {
        let app = TestApp::spawn(backend);
        let live = app.get("/health/live").send();
        assert_eq!((live.status, live.json()), (200, json!({ "status": "ok", "failing": [] })));
        let ready = app.get("/health/ready").send();
        assert_eq!((ready.status, ready.json()), (200, json!({ "status": "ok", "failing": [] })));
        // With every connection held, the database does not answer within DB_TIMEOUT.
        let short = TestApp::spawn_with(backend, |c| {
            c.db_pool_size = 1;
            c.db_timeout = Duration::from_millis(300);
        });
        let held = short.conn();
        let not_ready = short.get("/health/ready").send();
        assert_eq!((not_ready.status, not_ready.json()["failing"].clone()), (503, json!(["database"])));
        assert_eq!(not_ready.header("retry-after"), Some("1"));
        assert_eq!(short.get("/health/live").send().status, 200, "alive all the same");
        drop(held);
        assert_eq!(short.get("/health/ready").send().status, 200);
    }

    fn with_no_connection_free_requests_get_503_within_db_timeout(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.db_pool_size = 1;
            c.db_timeout = Duration::from_millis(500);
        });
        let (_, token) = app.user_with_token();
        let held = app.conn();
        let start = Instant::now();
        let health = app.get("/health").send();
        assert_eq!(health.status, 503);
        assert_eq!(health.json()["database"], "unavailable");
        app.get("/api/sessions").bearer(&token).send().assert_error(503, "service_unavailable");
        let me = app.get("/api/me").bearer(&token).send();
        match backend {
            // The guard's read runs on the worker's own SQLite connection: it needs no pooled one.
            crate::helpers::Backend::Sqlite => assert_eq!(me.status, 200, "{}", me.text),
            crate::helpers::Backend::Postgres => me.assert_error(503, "service_unavailable"),
        }
        assert!(start.elapsed() < Duration::from_secs(3), "answered within DB_TIMEOUT, took {:?}", start.elapsed());
        drop(held);
        assert_eq!(app.get("/api/sessions").bearer(&token).send().status, 200);
    }
}

/// Postgres only: connections killed under the pool (a restart, a failover) cost at most one
/// 503 per pooled connection, then the server recovers by itself.
#[test]
fn the_server_recovers_when_postgres_drops_its_connections() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    assert_eq!(backend, Backend::Postgres);
    let app = TestApp::spawn_with(backend, |c| c.db_timeout = Duration::from_secs(2));
    let (_, token) = app.user_with_token();
    let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
    let database = app
        .config
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    PgConnection::establish(&admin_url)
        .unwrap()
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
        ))
        .unwrap();
    let mut statuses = vec![];
    for _ in 0..(app.config.db_pool_size + 2) {
        let response = app.get("/api/me").bearer(&token).send();
        if response.status != 200 {
            response.assert_error(503, "service_unavailable");
        }
        statuses.push(response.status);
    }
    assert_eq!(statuses.last(), Some(&200), "recovered: {statuses:?}");
}
