//! A login's place in the limits while its password is checked (Laravel's RateLimiter `hit` then
//! `clear`, made race-free): reserved before bcrypt, kept as a failure, or given back; the same for
//! a two-factor code.

use std::time::Instant;

use super::store::hex;
use super::{Key, RateLimits, Slot, counter};

/// A login attempt that passed the limits and holds its place in them until it is decided:
/// [`failed`](Self::failed) keeps it as a failure, [`succeeded`](Self::succeeded) gives it back
/// and clears the pair. Dropped undecided (the database or the hasher failed, the client went
/// away), it is given back: only a wrong password counts.
pub struct LoginReservation<'a> {
    pub(super) limits: &'a RateLimits,
    pub(super) pair: Option<(Key, Slot)>,
    pub(super) account: Option<(Key, Slot)>,
}

impl LoginReservation<'_> {
    /// The password was right: the pair's failures are forgotten and the reservation given back.
    pub async fn succeeded(mut self) {
        let limits = self.limits;
        if let Some((pair, _)) = self.pair.take() {
            limits.clear(&limits.login_failures_minute, pair).await;
        }
        if let Some((account, slot)) = self.account.take() {
            limits
                .release(&limits.login_failures_hour, account, slot)
                .await;
        }
    }

    /// The password was wrong: the reservation stands as a failure. True when it locked the pair
    /// or the account.
    pub async fn failed(mut self, now: Instant) -> bool {
        let limits = self.limits;
        let mut locked = false;
        if let Some((pair, _)) = self.pair.take() {
            locked |= limits
                .is_full(&limits.login_failures_minute, pair, now)
                .await;
        }
        if let Some((account, _)) = self.account.take() {
            locked |= limits
                .is_full(&limits.login_failures_hour, account, now)
                .await;
        }
        locked
    }
}

impl Drop for LoginReservation<'_> {
    fn drop(&mut self) {
        let limits = self.limits;
        give_back(limits, &limits.login_failures_minute, self.pair.take());
        give_back(limits, &limits.login_failures_hour, self.account.take());
    }
}

/// A two-factor code's place in its user's budget of wrong codes while it is checked: kept by
/// [`failed`](Self::failed), given back by [`succeeded`](Self::succeeded) or when dropped
/// undecided (only a wrong code counts).
pub struct CodeReservation<'a> {
    limits: &'a RateLimits,
    held: Option<(Key, Slot)>,
}

impl<'a> CodeReservation<'a> {
    pub(super) fn held(limits: &'a RateLimits, key: Key, slot: Slot) -> Self {
        Self {
            limits,
            held: Some((key, slot)),
        }
    }

    /// The code was right: the reservation is given back.
    pub async fn succeeded(mut self) {
        let limits = self.limits;
        if let Some((key, slot)) = self.held.take() {
            limits.release(&limits.two_factor_failures, key, slot).await;
        }
    }

    /// The code was wrong: the reservation stands.
    pub fn failed(mut self) {
        self.held = None;
    }
}

impl Drop for CodeReservation<'_> {
    fn drop(&mut self) {
        let limits = self.limits;
        give_back(limits, &limits.two_factor_failures, self.held.take());
    }
}

/// Gives back a reservation left undecided in `window`.
fn give_back(limits: &RateLimits, window: &super::SlidingWindow, held: Option<(Key, Slot)>) {
    match held {
        Some((key, Slot::Memory)) => window.release(&key),
        Some((key, Slot::Window(index))) => {
            if let Some(db) = limits.shared.clone() {
                // Dropped in a request's future: give it back without blocking the drop.
                actix_web::rt::spawn(async move {
                    let key = hex(&key);
                    if let Err(error) = db
                        .run(move |conn| counter::release(conn, &key, index))
                        .await
                    {
                        tracing::warn!(%error, "giving back a rate-limit reservation failed");
                    }
                });
            }
        }
        None => {}
    }
}
