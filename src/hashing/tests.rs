//! Unit tests of `hashing`.

use super::*;

fn hasher() -> PasswordHasher {
    PasswordHasher::new(4, 2, Duration::from_secs(2)).unwrap()
}

#[test]
fn common_passwords_are_known_whatever_their_case() {
    assert!(
        COMMON_PASSWORDS.len() >= 30_000 - 10,
        "{}",
        COMMON_PASSWORDS.len()
    );
    for common in ["password", "PassWord", "12345678", "iloveyou", "Sunshine"] {
        assert!(is_common(common), "{common}");
    }
    assert!(!is_common("correct horse battery staple 42"));
}

#[test]
fn hashes_of_another_cost_than_the_configured_need_a_rehash() {
    let hasher = PasswordHasher::new(12, 1, Duration::from_secs(1)).unwrap();
    assert!(hasher.needs_rehash("$2y$10$abcdefghijklmnopqrstuu"));
    assert!(!hasher.needs_rehash("$2b$12$abcdefghijklmnopqrstuu"));
    assert!(
        hasher.needs_rehash("$2b$13$abcdefghijklmnopqrstuu"),
        "a dearer hash too: it would take longer than the dummy"
    );
}

/// Requests that give up one after another while they wait (clients timing out, connections
/// reset): each one's slot must not pass to the next while its job still runs.
#[actix_web::test]
async fn requests_that_give_up_leave_no_backlog() {
    let hasher = Arc::new(PasswordHasher::new(10, 1, Duration::from_secs(60)).unwrap());
    let started = Instant::now();
    hasher.verify("warm up".into(), None).await.unwrap();
    let one = started.elapsed();
    let mut waiting: Vec<_> = (0..50)
        .map(|_| {
            let hasher = hasher.clone();
            actix_web::rt::spawn(async move { hasher.verify("guess".into(), None).await })
        })
        .collect();
    for _ in 0..5 {
        actix_web::rt::task::yield_now().await;
    }
    for task in waiting.drain(..) {
        task.abort();
        for _ in 0..5 {
            actix_web::rt::task::yield_now().await; // the next waiter runs, as on a busy server
        }
    }
    let started = Instant::now();
    hasher.verify("the next login".into(), None).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited < one * 2 + Duration::from_millis(100),
        "the next login took {waited:?}; one hash takes {one:?}"
    );
}

#[actix_web::test]
async fn a_cheaper_stored_hash_takes_as_long_as_the_configured_cost() {
    let hasher = PasswordHasher::new(9, 1, Duration::from_secs(10)).unwrap();
    let cheap = bcrypt::hash("imported password", 6).unwrap();
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (mut unknown, mut imported) = (vec![], vec![]);
    for _ in 0..5 {
        let started = Instant::now();
        hasher.verify("wrong".into(), None).await.unwrap();
        unknown.push(started.elapsed());
        let started = Instant::now();
        hasher
            .verify("wrong".into(), Some(cheap.clone()))
            .await
            .unwrap();
        imported.push(started.elapsed());
    }
    let (unknown, imported) = (median(unknown), median(imported));
    assert!(
        imported * 10 >= unknown * 8,
        "a cost-6 hash answered in {imported:?}, the cost-9 dummy in {unknown:?}"
    );
}

#[actix_web::test]
async fn a_full_queue_answers_503_after_the_queue_timeout() {
    let hasher = PasswordHasher::new(4, 1, Duration::from_millis(50)).unwrap();
    let _busy = hasher.slots.acquire().await.unwrap();
    let refused = hasher.hash("password".into()).await;
    assert!(
        matches!(
            refused,
            Err(AppError::Unavailable(Dependency::PasswordHasher, _))
        ),
        "{refused:?}"
    );
}

#[test]
fn the_dummy_hash_has_the_configured_cost() {
    let hasher = PasswordHasher::new(12, 2, Duration::from_secs(2)).unwrap();
    assert!(hasher.dummy_hash.starts_with("$2b$12$"));
    assert_eq!(hasher.dummy_hash.len(), 60);
}

#[actix_web::test]
async fn a_hash_verifies_its_password_only() {
    let hasher = hasher();
    let hash = hasher.hash("correct horse".into()).await.unwrap();
    assert!(
        hasher
            .verify("correct horse".into(), Some(hash.clone()))
            .await
            .unwrap()
    );
    assert!(
        !hasher
            .verify("wrong horse".into(), Some(hash))
            .await
            .unwrap()
    );
    assert!(!hasher.verify("correct horse".into(), None).await.unwrap());
}

#[actix_web::test]
async fn laravel_2y_hashes_verify_as_they_are() {
    let hasher = hasher();
    let parts = bcrypt::hash_with_result("secret from laravel", 4).unwrap();
    let laravel = parts.format_for_version(bcrypt::Version::TwoY);
    assert!(laravel.starts_with("$2y$04$"));
    assert!(
        hasher
            .verify("secret from laravel".into(), Some(laravel))
            .await
            .unwrap()
    );
}

#[actix_web::test]
async fn a_candidate_over_72_bytes_never_matches() {
    let hasher = hasher();
    let password = "a".repeat(72);
    let hash = hasher.hash(password.clone()).await.unwrap();
    assert!(
        hasher
            .verify(password.clone(), Some(hash.clone()))
            .await
            .unwrap()
    );
    assert!(
        !hasher
            .verify(format!("{password}X"), Some(hash))
            .await
            .unwrap()
    );
}
