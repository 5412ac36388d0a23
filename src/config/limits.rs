//! Brute-force limits: the `RATE_LIMIT_*` settings and `TRUSTED_PROXIES` (Laravel: the
//! RateLimiter definitions of a RouteServiceProvider).

use ipnet::IpNet;

use super::reader::Reader;
use super::{ConfigError, invalid};

/// Brute-force limits, counted in this process (see README, "Security").
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// `RATE_LIMIT_ENABLED` (also on with APP_ENV=testing); false switches every limit off.
    pub enabled: bool,
    /// `RATE_LIMIT_STORE`: `database` (shared by every instance) or `memory` (this process);
    /// unset: the database on PostgreSQL, memory on SQLite (one node by definition).
    pub store: Option<RateLimitStore>,
    /// `RATE_LIMIT_LOGIN_PER_MINUTE`: failed logins per (email, client network) per minute.
    pub login_per_minute: u32,
    /// `RATE_LIMIT_LOGIN_PER_HOUR`: failed logins per account per hour (NIST SP 800-63B).
    pub login_per_hour: u32,
    /// `RATE_LIMIT_LOGIN_IP_PER_MINUTE`: login attempts per client network per minute.
    pub login_ip_per_minute: u32,
    /// `RATE_LIMIT_REGISTER_IP_PER_HOUR`: sign-ups per client network per hour.
    pub register_ip_per_hour: u32,
    /// `RATE_LIMIT_REFRESH_IP_PER_5_MINUTES`: refreshes per client network per 5 minutes.
    pub refresh_ip_per_5_minutes: u32,
    /// `RATE_LIMIT_MAIL_PER_HOUR`: reset and verification mails per address per hour.
    pub mail_per_hour: u32,
    /// `TRUSTED_PROXIES`: IPs or CIDRs whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// Where the rate limits count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitStore {
    Database,
    Memory,
}

/// The `RATE_LIMIT_*` settings and `TRUSTED_PROXIES`.
pub(super) fn rate_limits<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
) -> Result<RateLimitConfig, ConfigError> {
    let trusted_proxies = r
        .list("TRUSTED_PROXIES")
        .iter()
        .map(|p| parse_network(p))
        .collect::<Result<_, _>>()
        .map_err(|bad| {
            invalid(
                "TRUSTED_PROXIES",
                format!("{bad:?} is not an IP address or CIDR"),
            )
        })?;
    let store = match r.text("RATE_LIMIT_STORE").as_deref() {
        None => None,
        Some("database") => Some(RateLimitStore::Database),
        Some("memory") => Some(RateLimitStore::Memory),
        Some(other) => {
            return Err(invalid(
                "RATE_LIMIT_STORE",
                format!("{other:?} is not database or memory"),
            ));
        }
    };
    Ok(RateLimitConfig {
        enabled: r.flag("RATE_LIMIT_ENABLED")?,
        store,
        login_per_minute: r.positive("RATE_LIMIT_LOGIN_PER_MINUTE")?,
        login_per_hour: r.positive("RATE_LIMIT_LOGIN_PER_HOUR")?,
        login_ip_per_minute: r.positive("RATE_LIMIT_LOGIN_IP_PER_MINUTE")?,
        register_ip_per_hour: r.positive("RATE_LIMIT_REGISTER_IP_PER_HOUR")?,
        refresh_ip_per_5_minutes: r.positive("RATE_LIMIT_REFRESH_IP_PER_5_MINUTES")?,
        mail_per_hour: r.positive("RATE_LIMIT_MAIL_PER_HOUR")?,
        trusted_proxies,
    })
}

/// `10.0.0.0/8`, `fd00::/8`, or a bare address (its /32 or /128); the text back on error.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| text.to_owned())
}
