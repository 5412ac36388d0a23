//! A sliding window of hits per key, with bounded memory. Hand-written rather than governor: login
//! limits reserve an attempt before the password check and give it back after a success, which a
//! GCRA cell cannot do. Keys are fixed-size keyed hashes (see `RateLimits`), so a 64 KiB email costs
//! what a short one does; at most [`MAX_KEYS`] keys are kept per window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A window's key: the first 16 bytes of an HMAC of what is counted.
pub type Key = [u8; 16];

/// The keys one window keeps before it evicts the least recently hit window that is not holding
/// anyone back. Locked keys are never evicted, so a window may exceed this while they last.
pub const MAX_KEYS: usize = 100_000;

/// How many queue entries one insertion may look at to find a key to evict (bounded work per request).
const EVICTION_STEPS: usize = 64;

/// At most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Hits per key within the last `window`, in milliseconds since the window's origin.
#[derive(Debug)]
pub struct SlidingWindow {
    limit: Limit,
    max_keys: usize,
    origin: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    hits: HashMap<Key, VecDeque<u64>>,
    /// (key, time of a hit), oldest first: the eviction order. An entry is current while it names
    /// its key's latest hit; older ones are skipped, and the timer's sweep drops them.
    order: VecDeque<(Key, u64)>,
}

impl SlidingWindow {
    /// A window enforcing `limit`, keeping at most [`MAX_KEYS`] keys.
    pub fn new(limit: Limit, origin: Instant) -> Self {
        Self::with_max_keys(limit, origin, MAX_KEYS)
    }

    /// A window that keeps at most `max_keys` keys (tests use small caps).
    pub fn with_max_keys(limit: Limit, origin: Instant, max_keys: usize) -> Self {
        Self {
            limit,
            max_keys: max_keys.max(1),
            origin,
            state: Mutex::new(State::default()),
        }
    }

    /// The limit this window enforces.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// `Err(retry_after)` when `key` already has `max` hits in the window; charges nothing.
    pub fn check(&self, key: &Key, now: Instant) -> Result<(), Duration> {
        let now = self.millis(now);
        let mut state = self.lock();
        match state.hits.get_mut(key) {
            Some(times) => self.verdict(times, now),
            None => Ok(()),
        }
    }

    /// Charges one hit to `key` if the window allows it, atomically; `Err(retry_after)` otherwise.
    pub fn attempt(&self, key: &Key, now: Instant) -> Result<(), Duration> {
        let now = self.millis(now);
        let mut state = self.lock();
        if let Some(times) = state.hits.get_mut(key) {
            self.verdict(times, now)?;
            times.push_back(now);
        } else {
            self.make_room(&mut state, now);
            state.hits.insert(*key, VecDeque::from([now]));
        }
        state.order.push_back((*key, now));
        Ok(())
    }

    /// Gives back the latest hit of `key` (a reserved attempt that turned out not to count).
    pub fn release(&self, key: &Key) {
        let mut state = self.lock();
        if let Some(times) = state.hits.get_mut(key) {
            times.pop_back();
            if times.is_empty() {
                state.hits.remove(key);
            }
        }
    }

    /// Forgets every hit of `key` (a successful login clears its failures).
    pub fn clear(&self, key: &Key) {
        self.lock().hits.remove(key);
    }

    /// Drops keys with no hit left in the window and compacts the eviction queue. Runs on a
    /// timer, never on the request path.
    pub fn sweep(&self, now: Instant) {
        let now = self.millis(now);
        let window = self.window_millis();
        let mut state = self.lock();
        let State { hits, order } = &mut *state;
        hits.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.saturating_sub(*t) < window)
        });
        order.retain(|(key, at)| hits.get(key).and_then(|t| t.back()) == Some(at));
    }

    /// How many keys the window holds.
    pub fn len(&self) -> usize {
        self.lock().hits.len()
    }

    /// Whether the window holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Before a new key goes in at the cap: evicts the least recently hit keys that are not locked,
    /// looking at no more than [`EVICTION_STEPS`] queue entries.
    fn make_room(&self, state: &mut State, now: u64) {
        let mut steps = 0;
        while state.hits.len() >= self.max_keys && steps < EVICTION_STEPS {
            steps += 1;
            let Some((key, at)) = state.order.pop_front() else {
                return;
            };
            let Some(times) = state.hits.get_mut(&key) else {
                continue;
            };
            if times.back() != Some(&at) {
                continue; // a later hit of this key is further back in the queue
            }
            if self.verdict(times, now).is_err() {
                state.order.push_back((key, at)); // an active lock-out stays
            } else {
                state.hits.remove(&key);
            }
        }
    }

    fn verdict(&self, times: &mut VecDeque<u64>, now: u64) -> Result<(), Duration> {
        let window = self.window_millis();
        // Threads read the clock before they take the lock, so a hit may be a little after `now`.
        while times
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= window)
        {
            times.pop_front();
        }
        match times.front() {
            Some(oldest) if times.len() >= self.limit.max as usize => {
                let left = Duration::from_millis((oldest + window).saturating_sub(now));
                Err(left.max(Duration::from_secs(1)))
            }
            _ => Ok(()),
        }
    }

    fn window_millis(&self) -> u64 {
        self.limit.window.as_millis() as u64
    }

    fn millis(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_millis() as u64
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves counters that are still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn key(n: u32) -> Key {
        let mut key = [0u8; 16];
        key[..4].copy_from_slice(&n.to_be_bytes());
        key
    }

    fn window(max: u32, max_keys: usize) -> (SlidingWindow, Instant) {
        let origin = Instant::now();
        let limit = Limit {
            max,
            window: MINUTE,
        };
        (
            SlidingWindow::with_max_keys(limit, origin, max_keys),
            origin,
        )
    }

    #[test]
    fn attempts_are_refused_beyond_the_limit_and_checking_charges_nothing() {
        let (limiter, t) = window(2, 10);
        for _ in 0..10 {
            assert!(limiter.check(&key(1), t).is_ok());
        }
        assert!(limiter.attempt(&key(1), t).is_ok());
        assert!(limiter.attempt(&key(1), t).is_ok());
        let retry = limiter
            .attempt(&key(1), t + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(retry, Duration::from_secs(50));
        assert!(limiter.check(&key(2), t).is_ok(), "keys are independent");
    }

    #[test]
    fn hits_leave_the_window_on_the_clock_passed_in() {
        let (limiter, t) = window(1, 10);
        limiter.attempt(&key(1), t).unwrap();
        assert!(
            limiter
                .check(&key(1), t + MINUTE - Duration::from_millis(1))
                .is_err()
        );
        assert!(limiter.check(&key(1), t + MINUTE).is_ok());
    }

    #[test]
    fn a_released_hit_no_longer_counts_and_clearing_forgets_the_key() {
        let (limiter, t) = window(2, 10);
        limiter.attempt(&key(1), t).unwrap();
        limiter.attempt(&key(1), t).unwrap();
        limiter.release(&key(1));
        assert!(limiter.attempt(&key(1), t).is_ok());
        limiter.clear(&key(1));
        assert!(limiter.is_empty());
    }

    #[test]
    fn at_the_cap_the_oldest_free_key_goes_and_a_lock_out_stays() {
        let (limiter, t) = window(2, 3);
        limiter.attempt(&key(1), t).unwrap();
        limiter.attempt(&key(1), t).unwrap(); // key 1 is locked
        limiter.attempt(&key(2), t).unwrap();
        limiter.attempt(&key(3), t).unwrap();
        limiter.attempt(&key(4), t).unwrap(); // evicts key 2, the oldest free one
        assert_eq!(limiter.len(), 3);
        assert!(limiter.check(&key(1), t).is_err(), "the lock-out survives");
        limiter.attempt(&key(2), t).unwrap(); // key 2 is back, with key 3 evicted for it
        let hits = &limiter.lock().hits;
        assert!(hits.contains_key(&key(2)) && hits.contains_key(&key(4)));
        assert!(!hits.contains_key(&key(3)));
    }

    #[test]
    fn when_every_key_is_locked_the_cap_gives_way() {
        let (limiter, t) = window(1, 2);
        for n in 0..5 {
            limiter.attempt(&key(n), t).unwrap();
        }
        assert_eq!(limiter.len(), 5);
        for n in 0..5 {
            assert!(limiter.check(&key(n), t).is_err(), "{n}");
        }
    }

    #[test]
    fn the_sweep_drops_expired_keys_and_stale_queue_entries() {
        let (limiter, t) = window(5, 100);
        for n in 0..50 {
            limiter.attempt(&key(n), t).unwrap();
            limiter
                .attempt(&key(n), t + Duration::from_secs(1))
                .unwrap();
        }
        limiter
            .attempt(&key(0), t + Duration::from_secs(30))
            .unwrap();
        limiter.sweep(t + MINUTE + Duration::from_secs(2));
        assert_eq!(limiter.len(), 1);
        assert_eq!(limiter.lock().order.len(), 1);
    }
}
