//! bcrypt hashing and checking (Laravel: the Hash facade, config/hashing.php): on bcrypt's own low-priority threads, at most
//! HASH_CONCURRENCY at once, so a login flood queues here instead of starving every other request.
//! A slot belongs to the job, not to the request that asked: a request that goes away frees nothing
//! early, and its job, not yet started, is skipped.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult, Dependency};

/// bcrypt reads at most 72 bytes; longer passwords are refused, never silently truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// The 30,000 most common passwords (data/README.md names the source and licence), lowercase.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .collect()
});

/// Whether `password` is on the common-passwords list, whatever its case.
pub fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

/// Requests that may wait for a hashing slot at once; the next one is refused with 503 at once.
pub const MAX_WAITING: usize = 1024;

/// Hashes and verifies passwords at the configured cost.
pub struct PasswordHasher {
    cost: u32,
    /// Verified against when the email is unknown, so that answer takes as long as a wrong password.
    dummy_hash: String,
    /// One permit per bcrypt thread; a permit travels inside its job and is released when it ends.
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
    waiting: Arc<AtomicUsize>,
    /// How long the last check at the configured cost took, in µs (0 before the first).
    full_check_micros: Arc<AtomicU64>,
    pool: SyncSender<Job>,
    /// Where the wait for a slot is observed (the metrics' `bcrypt_wait_seconds`), if anywhere.
    waits: Option<prometheus::Histogram>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Lowers the calling thread to nice 19 (per thread on Linux): hashing then yields to any request
/// that is ready to run. Not SCHED_IDLE, which measured a little better under a login flood but
/// starves completely behind any other busy process on the machine (a backup, a build).
fn lower_priority() {
    #[cfg(unix)]
    // One of the crate's two unsafe calls (storage.rs has the other): libc has no safe wrapper
    // for nice(2).
    #[allow(unsafe_code)]
    // SAFETY: nice(2) only lowers the calling thread's own priority.
    unsafe {
        libc::nice(19);
    }
}

/// bcrypt's own threads, one per slot, at the lowest nice level (19): under a login flood the
/// hashing gets what CPU the other requests leave, so /api/me stays fast while logins still use
/// every idle cycle. (Not actix's blocking pool: diesel calls run there at normal priority.)
fn spawn_pool(threads: usize) -> SyncSender<Job> {
    // Never more jobs than permits exist, so the channel's bound is never reached.
    let (jobs, queue) = mpsc::sync_channel::<Job>(threads);
    let queue = Arc::new(Mutex::new(queue));
    for i in 0..threads {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("bcrypt-{i}"))
            .spawn(move || {
                lower_priority();
                loop {
                    let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return, // the hasher is gone
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start a bcrypt thread");
        }
    }
    jobs
}

impl PasswordHasher {
    /// A hasher at `cost` (BCRYPT_ROUNDS) running `concurrency` jobs at once; a job that cannot
    /// start within `queue_timeout` is refused with 503.
    pub fn new(cost: u32, concurrency: usize, queue_timeout: Duration) -> AppResult<Self> {
        // Hashing at cost 4 is instant; the cost field is then raised, so checking against the dummy
        // costs as much as checking a real hash, without paying a full hash at start-up.
        let cheap = bcrypt::hash("not a password", 4).map_err(|e| AppError::Internal(e.into()))?;
        let dummy_hash = format!("$2b${cost:02}${}", &cheap[7..]);
        Ok(Self {
            cost,
            dummy_hash,
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            pool: spawn_pool(concurrency.max(1)),
            queue_timeout,
            waiting: Arc::new(AtomicUsize::new(0)),
            full_check_micros: Arc::new(AtomicU64::new(0)),
            waits: None,
        })
    }

    /// Observes each wait for a hashing slot into `histogram`.
    pub fn observe_waits(mut self, histogram: prometheus::Histogram) -> Self {
        self.waits = Some(histogram);
        self
    }

    /// Whether `hash` was made at another cost than BCRYPT_ROUNDS (then login rehashes it, as
    /// Laravel's `Hash::needsRehash` does: a dearer hash would take longer than the dummy's check,
    /// and tell that the account exists).
    pub fn needs_rehash(&self, hash: &str) -> bool {
        cost_of(hash).is_some_and(|cost| cost != self.cost)
    }

    /// Requests waiting for a hashing slot at this moment.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Runs one bcrypt job once a slot is free. The slot's permit moves into the job, so it is
    /// released when the job ends, even if this future is dropped first; a job whose requester has
    /// gone before it starts is skipped.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let _waiting = Waiting::enter(&self.waiting)?;
        let timer = self.waits.as_ref().map(prometheus::Histogram::start_timer);
        let permit =
            actix_web::rt::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned())
                .await
                .map_err(|_| {
                    AppError::Unavailable(
                        Dependency::PasswordHasher,
                        "no slot within HASH_QUEUE_TIMEOUT".into(),
                    )
                })?
                .map_err(|e| AppError::Internal(e.into()))?;
        drop(_waiting);
        drop(timer);
        let (done, result) = tokio::sync::oneshot::channel();
        self.pool
            .try_send(Box::new(move || {
                let _permit = permit;
                if !done.is_closed() {
                    drop(done.send(job()));
                }
            }))
            .map_err(|e| AppError::Internal(e.to_string().into()))?;
        result.await.map_err(|e| AppError::Internal(e.into()))
    }

    /// The bcrypt hash of `password` (the caller has checked its length).
    pub async fn hash(&self, password: String) -> AppResult<String> {
        let cost = self.cost;
        self.run(move || bcrypt::hash(password, cost))
            .await?
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// Whether `candidate` matches `hash`. Without a hash (unknown email) the dummy is checked, so
    /// both failures take the same time; a candidate over 72 bytes never matches. A hash cheaper
    /// than BCRYPT_ROUNDS (imported at cost 10, not yet rehashed) is padded to the time the
    /// configured cost takes, holding its slot as long, so neither its answer nor the queue behind
    /// it tells that the account exists.
    pub async fn verify(&self, candidate: String, hash: Option<String>) -> AppResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let missing_rounds = self
            .cost
            .saturating_sub(cost_of(&hash).unwrap_or(self.cost));
        let full_check = self.full_check_micros.clone();
        let matched = self
            .run(move || {
                let started = Instant::now();
                let fits = candidate.len() <= MAX_PASSWORD_BYTES;
                let matched = match bcrypt::verify(&candidate, &hash) {
                    Ok(matched) => matched && fits,
                    Err(error) => {
                        tracing::warn!(%error, "a stored password hash is not a bcrypt hash");
                        false
                    }
                };
                let took = started.elapsed();
                if missing_rounds == 0 {
                    full_check.store(took.as_micros() as u64, Ordering::Relaxed);
                } else {
                    // As long as the last full check took (it felt the machine's load as this one
                    // would), or, before there was one, what bcrypt's doubling per round predicts.
                    // The padding sleeps on the bcrypt thread (no CPU), so the slot is held as long.
                    let predicted = took * ((1u32 << missing_rounds.min(16)) - 1) + took;
                    let measured = Duration::from_micros(full_check.load(Ordering::Relaxed));
                    let target = if measured.is_zero() {
                        predicted
                    } else {
                        measured
                    };
                    std::thread::sleep(target.saturating_sub(took));
                }
                matched
            })
            .await?;
        Ok(matched && known)
    }
}

/// The cost field of a bcrypt hash (`$2y$10$…` → 10).
fn cost_of(hash: &str) -> Option<u32> {
    hash.get(4..6).and_then(|c| c.parse().ok())
}

/// Counts a request waiting for a slot while it lives.
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn enter(counter: &Arc<AtomicUsize>) -> AppResult<Self> {
        if counter.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
            counter.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::Unavailable(
                Dependency::PasswordHasher,
                "too many requests waiting for a slot".into(),
            ));
        }
        Ok(Self(counter.clone()))
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests;
