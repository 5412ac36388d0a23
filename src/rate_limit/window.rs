//! A sliding window of hits per key. Hand-written rather than governor: login limits count
//! *failures*, so a window must be read without being charged (is this account locked?) and charged
//! later (the password was wrong), which a GCRA cell cannot do.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Hits per key within the last `window`.
#[derive(Debug)]
pub struct SlidingWindow {
    limit: Limit,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// How many keys may pile up before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

impl SlidingWindow {
    /// A window enforcing `limit`.
    pub fn new(limit: Limit) -> Self {
        Self {
            limit,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` when `key` already has `max` hits in the window; charges nothing.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut hits = self.lock();
        match hits.get_mut(key) {
            Some(times) => self.verdict(times, now),
            None => Ok(()),
        }
    }

    /// Charges one hit to `key`.
    pub fn hit(&self, key: &str) {
        let now = Instant::now();
        let mut hits = self.lock();
        self.sweep(&mut hits, now);
        let times = hits.entry(key.to_owned()).or_default();
        self.expire(times, now);
        times.push_back(now);
        while times.len() > self.limit.max as usize {
            times.pop_front();
        }
    }

    /// Charges one hit to `key` if the window allows it, atomically; `Err(retry_after)` otherwise.
    pub fn attempt(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut hits = self.lock();
        self.sweep(&mut hits, now);
        let times = hits.entry(key.to_owned()).or_default();
        self.verdict(times, now)?;
        times.push_back(now);
        Ok(())
    }

    fn verdict(&self, times: &mut VecDeque<Instant>, now: Instant) -> Result<(), Duration> {
        self.expire(times, now);
        match times.front() {
            Some(oldest) if times.len() >= self.limit.max as usize => Err((*oldest
                + self.limit.window)
                .saturating_duration_since(now)
                .max(Duration::from_secs(1))),
            _ => Ok(()),
        }
    }

    fn expire(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.window)
        {
            times.pop_front();
        }
    }

    /// Bounds memory: once many keys exist, drop those with no hit in the window.
    fn sweep(&self, hits: &mut HashMap<String, VecDeque<Instant>>, now: Instant) {
        if hits.len() > SWEEP_ABOVE {
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.limit.window)
            });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A panic while holding the lock leaves counters that are still usable.
        self.hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(max: u32, millis: u64) -> SlidingWindow {
        SlidingWindow::new(Limit {
            max,
            window: Duration::from_millis(millis),
        })
    }

    #[test]
    fn checking_charges_nothing_and_hits_lock_at_the_limit() {
        let limiter = window(3, 60_000);
        for _ in 0..10 {
            assert!(limiter.check("a").is_ok());
        }
        (0..3).for_each(|_| limiter.hit("a"));
        let retry = limiter.check("a").unwrap_err();
        assert!(retry > Duration::from_secs(50) && retry <= Duration::from_secs(60));
        assert!(limiter.check("b").is_ok(), "keys are independent");
    }

    #[test]
    fn attempts_are_refused_beyond_the_limit() {
        let limiter = window(2, 60_000);
        assert!(limiter.attempt("ip").is_ok());
        assert!(limiter.attempt("ip").is_ok());
        assert!(limiter.attempt("ip").is_err());
        assert!(
            limiter.attempt("ip").is_err(),
            "a refused attempt is not counted twice"
        );
    }

    #[test]
    fn hits_leave_the_window() {
        let limiter = window(1, 30);
        limiter.hit("a");
        assert!(limiter.check("a").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(limiter.check("a").is_ok());
    }
}
