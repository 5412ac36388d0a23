//! Where a hit is counted: the window in memory, or the shared `rate_limit_counters` rows.

use std::time::Instant;

use super::{Key, RateLimits, SlidingWindow, Slot, counter};
use crate::error::{AppError, AppResult};
use crate::models::Hit;

impl RateLimits {
    /// Charges one hit to `key` in `window` if it allows it; 429 with Retry-After otherwise.
    pub(super) async fn attempt(
        &self,
        window: &SlidingWindow,
        key: Key,
        now: Instant,
    ) -> AppResult<Slot> {
        match &self.shared {
            None => window
                .attempt(&key, now)
                .map(|()| Slot::Memory)
                .map_err(AppError::TooManyRequests),
            Some(db) => {
                let hit = db_hit(window, &key);
                db.run(move |conn| counter::attempt(conn, &hit))
                    .await?
                    .map(Slot::Window)
                    .map_err(AppError::TooManyRequests)
            }
        }
    }

    /// Gives back the hit counted in `slot`; a failure is logged (it only leaves a hit counted).
    pub(super) async fn release(&self, window: &SlidingWindow, key: Key, slot: Slot) {
        match (&self.shared, slot) {
            (Some(db), Slot::Window(index)) => {
                let key = hex(&key);
                if let Err(error) = db
                    .run(move |conn| counter::release(conn, &key, index))
                    .await
                {
                    tracing::warn!(%error, "giving back a rate-limit hit failed");
                }
            }
            _ => window.release(&key),
        }
    }

    /// Forgets every hit of `key` in `window`.
    pub(super) async fn clear(&self, window: &SlidingWindow, key: Key) {
        match &self.shared {
            Some(db) => {
                let key = hex(&key);
                if let Err(error) = db.run(move |conn| counter::clear(conn, &key)).await {
                    tracing::warn!(%error, "clearing a rate limit failed");
                }
            }
            None => window.clear(&key),
        }
    }

    /// Whether `key` has no room left in `window`.
    pub(super) async fn is_full(&self, window: &SlidingWindow, key: Key, now: Instant) -> bool {
        match &self.shared {
            Some(db) => {
                let hit = db_hit(window, &key);
                db.run(move |conn| counter::is_full(conn, &hit))
                    .await
                    .unwrap_or(false)
            }
            None => window.check(&key, now).is_err(),
        }
    }

    /// The fixed-size key of `parts` for one kind of limit: an HMAC over length-prefixed parts,
    /// so no two different inputs share a key.
    pub(super) fn key(&self, label: &str, parts: &[&str]) -> Key {
        let mut input = Vec::with_capacity(64);
        for part in std::iter::once(label).chain(parts.iter().copied()) {
            input.extend_from_slice(&(part.len() as u64).to_be_bytes());
            input.extend_from_slice(part.as_bytes());
        }
        self.keys.short(&input)
    }
}

/// A hit of `key` in `window`'s limit, now on the wall clock: instances share windows, so they
/// must share a clock.
pub(super) fn db_hit(window: &SlidingWindow, key: &Key) -> Hit {
    let limit = window.limit();
    Hit {
        key: hex(key),
        max: limit.max,
        width_ms: limit.window.as_millis() as i64,
        now_ms: chrono::Utc::now().timestamp_millis(),
    }
}

/// A key as the database stores it.
pub(super) fn hex(key: &Key) -> String {
    crate::crypto::hex(key)
}
