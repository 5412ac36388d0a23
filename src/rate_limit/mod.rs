//! Brute-force limits (Laravel: RateLimiter / ThrottleRequests), counted in this process: with
//! several instances behind a load balancer each counts on its own (see README, "Security").
//! Every key is a 16-byte HMAC under APP_KEY of what is counted, so memory per key is fixed; each
//! window keeps at most [`MAX_KEYS`] keys and is swept by a timer ([`RateLimits::sweep`]).

mod window;

use std::net::IpAddr;
use std::time::{Duration, Instant};

pub use window::{Key, Limit, MAX_KEYS, SlidingWindow};

use crate::config::RateLimitConfig;
use crate::crypto::{AppKey, Hmac};
use crate::error::{AppError, AppResult};

/// Every limit of the API.
pub struct RateLimits {
    enabled: bool,
    keys: Hmac,
    login_ip: SlidingWindow,
    /// Failures per (email, client network): what locks a guesser out without locking the owner out.
    login_failures_minute: SlidingWindow,
    /// Failures per email from anywhere: the account's ceiling (NIST SP 800-63B).
    login_failures_hour: SlidingWindow,
    register_ip: SlidingWindow,
    refresh_ip: SlidingWindow,
}

/// A login attempt that passed the limits and holds its place in them until it is decided:
/// [`failed`](Self::failed) keeps it as a failure, [`succeeded`](Self::succeeded) gives it back
/// and clears the pair. Dropped undecided (the database or the hasher failed, the client went
/// away), it is given back: only a wrong password counts.
pub struct LoginReservation<'a> {
    limits: &'a RateLimits,
    pair: Option<Key>,
    account: Option<Key>,
}

impl LoginReservation<'_> {
    /// The password was right: the pair's failures are forgotten and the reservation given back.
    pub fn succeeded(mut self) {
        if let Some(pair) = self.pair.take() {
            self.limits.login_failures_minute.clear(&pair);
        }
        if let Some(account) = self.account.take() {
            self.limits.login_failures_hour.release(&account);
        }
    }

    /// The password was wrong: the reservation stands as a failure. True when it locked the pair
    /// or the account.
    pub fn failed(mut self, now: Instant) -> bool {
        let locked = |window: &SlidingWindow, key: Option<Key>| {
            key.is_some_and(|key| window.check(&key, now).is_err())
        };
        locked(&self.limits.login_failures_minute, self.pair.take())
            | locked(&self.limits.login_failures_hour, self.account.take())
    }
}

impl Drop for LoginReservation<'_> {
    fn drop(&mut self) {
        if let Some(pair) = self.pair.take() {
            self.limits.login_failures_minute.release(&pair);
        }
        if let Some(account) = self.account.take() {
            self.limits.login_failures_hour.release(&account);
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

impl RateLimits {
    /// The limits RATE_LIMIT_* asks for, keyed under `app_key`.
    pub fn new(config: &RateLimitConfig, app_key: &AppKey, origin: Instant) -> Self {
        let window = |max, window| SlidingWindow::new(Limit { max, window }, origin);
        Self {
            enabled: config.enabled,
            keys: app_key.subkey("rate limit keys"),
            login_ip: window(config.login_ip_per_minute, MINUTE),
            login_failures_minute: window(config.login_per_minute, MINUTE),
            login_failures_hour: window(config.login_per_hour, HOUR),
            register_ip: window(config.register_ip_per_hour, HOUR),
            refresh_ip: window(config.refresh_ip_per_5_minutes, 5 * MINUTE),
        }
    }

    /// Before a password check: charges the client's network, then reserves one failure for the
    /// (email, network) pair and one for the account, so concurrent guesses cannot overshoot a
    /// limit by the depth of the bcrypt queue. The email counts whether or not it is an account,
    /// so a locked account answers exactly like an unknown one.
    pub fn login_attempt(
        &self,
        ip: Option<IpAddr>,
        email: &str,
        now: Instant,
    ) -> AppResult<LoginReservation<'_>> {
        if !self.enabled {
            return Ok(LoginReservation {
                limits: self,
                pair: None,
                account: None,
            });
        }
        let network = network_text(ip);
        self.login_ip
            .attempt(&self.key("ip", &[&network]), now)
            .map_err(AppError::TooManyRequests)?;
        let pair = self.key("email+ip", &[email, &network]);
        self.login_failures_minute
            .attempt(&pair, now)
            .map_err(AppError::TooManyRequests)?;
        let account = self.key("email", &[email]);
        if let Err(retry) = self.login_failures_hour.attempt(&account, now) {
            self.login_failures_minute.release(&pair);
            return Err(AppError::TooManyRequests(retry));
        }
        Ok(LoginReservation {
            limits: self,
            pair: Some(pair),
            account: Some(account),
        })
    }

    /// A sign-up from `ip`.
    pub fn register_attempt(&self, ip: Option<IpAddr>, now: Instant) -> AppResult<()> {
        self.per_network(&self.register_ip, "register", ip, now)
    }

    /// A refresh from `ip` (`/api/refresh` and the OAuth refresh-token grant).
    pub fn refresh_attempt(&self, ip: Option<IpAddr>, now: Instant) -> AppResult<()> {
        self.per_network(&self.refresh_ip, "refresh", ip, now)
    }

    /// Drops expired keys from every window (the maintenance timer calls it).
    pub fn sweep(&self, now: Instant) {
        for window in self.windows() {
            window.sweep(now);
        }
    }

    /// How many keys all windows hold together.
    pub fn keys_held(&self) -> usize {
        self.windows().iter().map(|w| w.len()).sum()
    }

    fn windows(&self) -> [&SlidingWindow; 5] {
        [
            &self.login_ip,
            &self.login_failures_minute,
            &self.login_failures_hour,
            &self.register_ip,
            &self.refresh_ip,
        ]
    }

    fn per_network(
        &self,
        window: &SlidingWindow,
        label: &str,
        ip: Option<IpAddr>,
        now: Instant,
    ) -> AppResult<()> {
        if !self.enabled {
            return Ok(());
        }
        window
            .attempt(&self.key(label, &[&network_text(ip)]), now)
            .map_err(AppError::TooManyRequests)
    }

    /// The fixed-size key of `parts` for one kind of limit: an HMAC over length-prefixed parts,
    /// so no two different inputs share a key.
    fn key(&self, label: &str, parts: &[&str]) -> Key {
        let mut input = Vec::with_capacity(64);
        for part in std::iter::once(label).chain(parts.iter().copied()) {
            input.extend_from_slice(&(part.len() as u64).to_be_bytes());
            input.extend_from_slice(part.as_bytes());
        }
        self.keys.short(&input)
    }
}

/// What a rate limit counts a client as: an IPv4 address as itself (also written as an IPv4-mapped
/// IPv6 address), an IPv6 address as its /64, the smallest network a single subscriber gets.
pub fn limited_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

/// The client network a limit counts, as text ("unknown" without a peer address).
fn network_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(
        || "unknown".to_owned(),
        |ip| limited_network(ip).to_string(),
    )
}

#[cfg(test)]
mod tests;
