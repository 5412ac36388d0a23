//! Brute-force limits (Laravel: RateLimiter / ThrottleRequests), counted in this process: with
//! several instances behind a load balancer each counts on its own (see README, "Security").

mod client_ip;
mod window;

use std::net::IpAddr;
use std::time::Duration;

pub use client_ip::{IpNet, client_ip};
pub use window::{Limit, SlidingWindow};

use crate::config::RateLimitConfig;
use crate::error::{AppError, AppResult};

/// Every limit of the API.
pub struct RateLimits {
    enabled: bool,
    login_ip: SlidingWindow,
    login_failures_minute: SlidingWindow,
    login_failures_hour: SlidingWindow,
    register_ip: SlidingWindow,
    refresh_ip: SlidingWindow,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

impl RateLimits {
    /// The limits RATE_LIMIT_* asks for.
    pub fn new(config: &RateLimitConfig) -> Self {
        let window = |max, window| SlidingWindow::new(Limit { max, window });
        Self {
            enabled: config.enabled,
            login_ip: window(config.login_ip_per_minute, MINUTE),
            login_failures_minute: window(config.login_per_minute, MINUTE),
            login_failures_hour: window(config.login_per_hour, HOUR),
            register_ip: window(config.register_ip_per_hour, HOUR),
            refresh_ip: window(config.refresh_ip_per_5_minutes, 5 * MINUTE),
        }
    }

    /// Before a password check: charges the IP, then refuses a locked account. The account key is
    /// the normalised email whether or not it exists, so a locked account answers like an unknown one.
    pub fn login_attempt(&self, ip: Option<IpAddr>, email: &str) -> AppResult<()> {
        if !self.enabled {
            return Ok(());
        }
        attempt(&self.login_ip, ip)?;
        self.login_failures_minute
            .check(email)
            .map_err(AppError::TooManyRequests)?;
        self.login_failures_hour
            .check(email)
            .map_err(AppError::TooManyRequests)
    }

    /// After a wrong password: charges the account; true when that locked it.
    pub fn login_failed(&self, email: &str) -> bool {
        if !self.enabled {
            return false;
        }
        self.login_failures_minute.hit(email);
        self.login_failures_hour.hit(email);
        self.login_failures_minute.check(email).is_err()
            || self.login_failures_hour.check(email).is_err()
    }

    /// A sign-up from `ip`.
    pub fn register_attempt(&self, ip: Option<IpAddr>) -> AppResult<()> {
        if self.enabled {
            attempt(&self.register_ip, ip)
        } else {
            Ok(())
        }
    }

    /// A refresh from `ip` (`/api/refresh` and the OAuth refresh-token grant).
    pub fn refresh_attempt(&self, ip: Option<IpAddr>) -> AppResult<()> {
        if self.enabled {
            attempt(&self.refresh_ip, ip)
        } else {
            Ok(())
        }
    }
}

fn attempt(window: &SlidingWindow, ip: Option<IpAddr>) -> AppResult<()> {
    let key = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    window.attempt(&key).map_err(AppError::TooManyRequests)
}
