//! Issue 9, point 2: 50,000 failed logins with distinct 255-byte emails, counted by the real
//! RateLimits on a clock passed in. Its own test binary, so the process's memory is this test's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests say "this must hold" with unwrap

use std::net::IpAddr;
use std::time::{Duration, Instant};

use jwt_auth_server::config::RateLimitConfig;
use jwt_auth_server::crypto::AppKey;
use jwt_auth_server::rate_limit::RateLimits;

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

/// A valid email of exactly 255 bytes, distinct for each `n`.
fn long_email(n: usize) -> String {
    let domain = format!(
        "{}.{}.{}.example",
        "b".repeat(60),
        "c".repeat(60),
        "d".repeat(60)
    );
    format!("{n:0>64}@{domain}")
}

fn p99(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() * 99 / 100]
}

#[test]
fn fifty_thousand_failed_logins_with_long_distinct_emails_stay_small_and_fast() {
    let config = RateLimitConfig {
        enabled: true,
        store: None,
        login_per_minute: 5,
        login_per_hour: 100,
        login_ip_per_minute: u32::MAX,
        register_ip_per_hour: 10,
        refresh_ip_per_5_minutes: 150,
        mail_per_hour: 5,
        trusted_proxies: vec![],
    };
    let start = Instant::now();
    let limits = RateLimits::new(&config, &AppKey::generate().unwrap(), start);
    // One runtime for the whole run: the memory store never awaits anything.
    let system = std::cell::RefCell::new(actix_web::rt::System::new());
    let fail = |n: usize, ip: Option<IpAddr>, now: Instant| {
        let started = Instant::now();
        system.borrow_mut().block_on(async {
            let reservation = limits
                .login_attempt(ip, &long_email(n), now)
                .await
                .expect("not limited");
            reservation.failed(now).await;
        });
        started.elapsed()
    };
    let ip: Option<IpAddr> = Some("2001:db8::1".parse().unwrap());
    let before = resident_bytes();
    let early: Vec<Duration> = (0..1000).map(|n| fail(n, ip, start)).collect();
    for n in 1000..49_000 {
        fail(n, ip, start + Duration::from_millis(n as u64));
    }
    let late: Vec<Duration> = (49_000..50_000)
        .map(|n| fail(n, ip, start + Duration::from_secs(50)))
        .collect();
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 64 << 20, "memory grew by {} MiB", grown >> 20);
    assert_eq!(
        limits.keys_held(),
        1 + 2 * 50_000,
        "one key per network, per pair, per account"
    );
    let (early, late) = (p99(early), p99(late));
    assert!(
        late <= early * 4 + Duration::from_micros(200),
        "p99 of a login's limits: {early:?} with 1,000 keys, {late:?} with 100,000"
    );
    // The timer's sweep, not a request, empties the windows once they are over.
    limits.sweep(start + Duration::from_secs(3 * 3600));
    assert_eq!(limits.keys_held(), 0);
}
