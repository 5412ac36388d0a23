//! A real PostgreSQL outage: the local cluster is stopped and started again (pg_ctlcluster).
//! Ignored by default because it stops the server every other Postgres test uses; .ci/run runs it
//! on its own after the suite: `cargo test --test api -- --ignored --test-threads=1 outage`. The
//! pause test below touches only its own database's backends, and runs with the suite.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::{Backend, TestApp};

/// `(version, cluster)` of the local cluster, if pg_ctlcluster can drive it.
fn local_cluster() -> Option<(String, String)> {
    let output = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let mut fields = text.lines().next()?.split_whitespace();
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}

fn pg_ctlcluster(action: &str, (version, cluster): &(String, String)) {
    let status = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", version, cluster, action])
        .status()
        .expect("pg_ctlcluster runs");
    assert!(status.success(), "pg_ctlcluster {action}");
}

#[test]
#[ignore = "stops the local PostgreSQL cluster; run alone (see the module comment)"]
fn outage_answers_503_within_db_timeout_and_recovers_without_restart() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let Some(cluster) = local_cluster() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs this test, and pg_ctlcluster is not there"
        );
        eprintln!("skipped: pg_lsclusters/pg_ctlcluster not available, cannot stop the database");
        return;
    };
    let app = TestApp::spawn_with(backend, |c| c.db_timeout = Duration::from_secs(2));
    let (_, token) = app.user_with_token();

    pg_ctlcluster("stop", &cluster);
    let stopped = Instant::now();
    let mut slowest = Duration::ZERO;
    for _ in 0..(app.config.db_pool_size + 2) {
        let start = Instant::now();
        let me = app.get("/api/me").bearer(&token).send();
        me.assert_error(503, "service_unavailable");
        assert_eq!(me.header("retry-after"), Some("1"));
        slowest = slowest.max(start.elapsed());
    }
    let health = app.get("/health").send();
    assert_eq!(
        (health.status, health.json()["database"].as_str()),
        (503, Some("unavailable"))
    );
    let ready = app.get("/health/ready").send();
    assert_eq!(
        (ready.status, ready.json()["failing"].clone()),
        (503, serde_json::json!(["database"]))
    );
    assert!(
        slowest <= Duration::from_millis(2500),
        "slowest 503 took {slowest:?} (DB_TIMEOUT 2 s)"
    );

    pg_ctlcluster("start", &cluster);
    let restarted = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(30);
    let recovered = loop {
        if app.get("/api/me").bearer(&token).send().status == 200 {
            break restarted.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "no recovery within 30 s of the restart"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "outage: slowest 503 {slowest:?} (of {:?} down); /api/me 200 again {recovered:?} after the restart",
        restarted - stopped
    );
    assert_eq!(app.get("/health").send().status, 200);
}

/// Issue 27: with every PostgreSQL backend of the server's database paused (SIGSTOP) for 2 s,
/// requests that need the database wait on the blocking pool, never on an actix worker, so
/// `/health/live` keeps answering within 50 ms; once resumed, the waiting requests are answered.
/// Pauses only this test's own database, so it runs with the rest of the suite.
#[cfg(unix)]
#[test]
fn with_the_database_paused_the_liveness_probe_answers_within_50_ms() {
    use std::sync::Arc;

    use diesel::prelude::*;

    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = Arc::new(TestApp::spawn_with(backend, |c| {
        c.db_timeout = Duration::from_secs(10)
    }));
    let (_, token) = app.user_with_token();
    #[derive(QueryableByName)]
    struct PgBackend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let name: String = app.query(|conn| {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "current_database()",
        ))
        .get_result(conn)
    });
    let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
    let mut admin = PgConnection::establish(&admin).expect("connect to TEST_DATABASE_URL");
    let backends: Vec<PgBackend> = diesel::sql_query(format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = '{name}' AND backend_type = 'client backend'"
    ))
    .load(&mut admin)
    .expect("list the backends");
    assert!(!backends.is_empty(), "the server has connections to pause");
    /// Resumes the paused backends however the test ends: a stopped backend would hold the
    /// test database's DROP forever.
    struct Paused(Vec<i32>);
    impl Drop for Paused {
        fn drop(&mut self) {
            for pid in &self.0 {
                let _ = Command::new("kill")
                    .args(["-CONT", &pid.to_string()])
                    .status();
            }
        }
    }
    let pids: Vec<i32> = backends.iter().map(|b| b.pid).collect();
    let resume = Paused(pids.clone());
    for pid in &pids {
        let status = Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -STOP {pid}");
    }
    let paused = Instant::now();
    let waiting: Vec<_> = (0..6)
        .map(|_| {
            let (app, token) = (app.clone(), token.clone());
            std::thread::spawn(move || app.get("/api/me").bearer(&token).send().status)
        })
        .collect();
    let mut slowest = Duration::ZERO;
    while paused.elapsed() < Duration::from_secs(2) {
        let asked = Instant::now();
        assert_eq!(app.get("/health/live").send().status, 200);
        slowest = slowest.max(asked.elapsed());
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(resume);
    let statuses: Vec<u16> = waiting.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(
        slowest < Duration::from_millis(50),
        "the probe took {slowest:?}"
    );
    assert_eq!(
        statuses,
        vec![200; 6],
        "answered once the database was back"
    );
}
