//! RateLimits with a clock passed in: who gets locked out, and for how long.

use super::*;

/// Runs a future of the limits to its end (they are async for the database store; the memory
/// store never awaits anything).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    actix_web::rt::System::new().block_on(future)
}

impl RateLimits {
    fn login_attempt_now(
        &self,
        ip: Option<IpAddr>,
        email: &str,
        now: Instant,
    ) -> AppResult<LoginReservation<'_>> {
        block_on(self.login_attempt(ip, email, now))
    }
}

fn config() -> RateLimitConfig {
    RateLimitConfig {
        enabled: true,
        store: None,
        login_per_minute: 5,
        login_per_hour: 100,
        login_ip_per_minute: 1000,
        register_ip_per_hour: 10,
        refresh_ip_per_5_minutes: 150,
        mail_per_hour: 5,
        trusted_proxies: vec![],
    }
}

fn limits() -> (RateLimits, Instant) {
    let origin = Instant::now();
    let key = AppKey::parse("base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    (RateLimits::new(&config(), &key, origin), origin)
}

fn ip(text: &str) -> Option<IpAddr> {
    Some(text.parse().unwrap())
}

fn fail(limits: &RateLimits, from: &str, email: &str, now: Instant) -> AppResult<bool> {
    let reservation = limits.login_attempt_now(ip(from), email, now)?;
    Ok(block_on(reservation.failed(now)))
}

#[test]
fn five_failures_lock_the_email_from_that_network_only() {
    let (limits, t) = limits();
    for n in 1..=5 {
        assert_eq!(
            fail(&limits, "198.51.100.1", "ann@example.com", t).unwrap(),
            n == 5
        );
    }
    let locked = limits.login_attempt_now(ip("198.51.100.1"), "ann@example.com", t);
    assert!(matches!(locked, Err(AppError::TooManyRequests(retry)) if retry == MINUTE));
    assert!(
        limits
            .login_attempt_now(ip("203.0.113.5"), "ann@example.com", t)
            .is_ok(),
        "the owner elsewhere"
    );
    assert!(
        limits
            .login_attempt_now(ip("198.51.100.1"), "bob@example.com", t)
            .is_ok(),
        "another account"
    );
    assert!(
        limits
            .login_attempt_now(ip("198.51.100.1"), "ann@example.com", t + MINUTE)
            .is_ok()
    );
}

#[test]
fn one_ipv6_64_is_one_client() {
    let (limits, t) = limits();
    for n in 0..5 {
        fail(&limits, &format!("2001:db8:1:2::{n}"), "ann@example.com", t).unwrap();
    }
    let locked = limits.login_attempt_now(ip("2001:db8:1:2:ffff::9"), "ann@example.com", t);
    assert!(matches!(locked, Err(AppError::TooManyRequests(_))));
    assert!(
        limits
            .login_attempt_now(ip("2001:db8:1:3::1"), "ann@example.com", t)
            .is_ok()
    );
}

#[test]
fn a_success_clears_the_pairs_failures() {
    let (limits, t) = limits();
    for _ in 0..4 {
        fail(&limits, "198.51.100.1", "ann@example.com", t).unwrap();
    }
    let reservation = limits
        .login_attempt_now(ip("198.51.100.1"), "ann@example.com", t)
        .unwrap();
    block_on(reservation.succeeded());
    for _ in 0..4 {
        assert!(!fail(&limits, "198.51.100.1", "ann@example.com", t).unwrap());
    }
}

#[test]
fn the_hourly_ceiling_counts_every_network_together() {
    let (limits, t) = limits();
    for n in 0..100u32 {
        let from = format!("198.51.{}.{}", n / 4, n % 4);
        fail(
            &limits,
            &from,
            "ann@example.com",
            t + Duration::from_secs(u64::from(n)),
        )
        .unwrap();
    }
    let locked = limits.login_attempt_now(ip("203.0.113.5"), "ann@example.com", t + 2 * MINUTE);
    assert!(matches!(locked, Err(AppError::TooManyRequests(_))));
    assert!(
        limits
            .login_attempt_now(ip("203.0.113.5"), "ann@example.com", t + HOUR)
            .is_ok(),
        "the first failure left the hour"
    );
}

#[test]
fn a_refusal_by_the_ceiling_gives_the_pairs_reservation_back() {
    let (limits, t) = limits();
    for n in 0..100u32 {
        fail(
            &limits,
            &format!("10.0.{}.{}", n / 200, n % 200),
            "ann@example.com",
            t,
        )
        .unwrap();
    }
    for _ in 0..10 {
        assert!(
            limits
                .login_attempt_now(ip("203.0.113.5"), "ann@example.com", t)
                .is_err()
        );
    }
    // An hour later the ceiling is clear and the pair never counted the refused attempts.
    for n in 1..=5 {
        let later = t + HOUR;
        assert_eq!(
            fail(&limits, "203.0.113.5", "ann@example.com", later).unwrap(),
            n == 5
        );
    }
}

#[test]
fn keys_have_a_fixed_size_whatever_the_email() {
    let (limits, t) = limits();
    let long = format!("{}@example.com", "a".repeat(64 * 1024));
    fail(&limits, "198.51.100.1", &long, t).unwrap();
    assert_eq!(limits.keys_held(), 3);
    limits.sweep(t + HOUR);
    assert_eq!(limits.keys_held(), 0, "the sweep empties expired windows");
}

#[test]
fn switched_off_limits_hold_nothing() {
    let origin = Instant::now();
    let key = AppKey::generate().unwrap();
    let limits = RateLimits::new(
        &RateLimitConfig {
            enabled: false,
            ..config()
        },
        &key,
        origin,
    );
    for _ in 0..20 {
        assert!(!fail(&limits, "198.51.100.1", "ann@example.com", origin).unwrap());
    }
    assert_eq!(limits.keys_held(), 0);
}

#[test]
fn ipv6_clients_are_limited_by_their_64_and_mapped_ipv4_by_the_address() {
    let net = |ip: &str| limited_network(ip.parse().unwrap());
    assert_eq!(net("2001:db8:1:2:aaaa::1"), net("2001:db8:1:2:ffff:1:2:3"));
    assert_eq!(net("2001:db8:1:2::9").to_string(), "2001:db8:1:2::");
    assert_ne!(net("2001:db8:1:2::1"), net("2001:db8:1:3::1"));
    assert_eq!(net("::ffff:198.51.100.7"), net("198.51.100.7"));
    assert_eq!(net("198.51.100.7").to_string(), "198.51.100.7");
}

#[test]
fn an_attempt_that_is_never_decided_does_not_count() {
    let (limits, t) = limits();
    for _ in 0..20 {
        // The database or the hasher failed (503), or the client went away: nothing was checked.
        drop(
            limits
                .login_attempt_now(ip("198.51.100.1"), "ann@example.com", t)
                .unwrap(),
        );
    }
    assert_eq!(limits.keys_held(), 1, "only the network's attempt counter");
    for n in 1..=5 {
        assert_eq!(
            fail(&limits, "198.51.100.1", "ann@example.com", t).unwrap(),
            n == 5
        );
    }
}
