//! Settings from the environment (Laravel: config/*.php reading .env). Each field names its env var
//! and default; .env.example lists the same variables in the same order.

mod secret;

use std::time::Duration;

pub use secret::{DEV_APP_KEY_FILE, DEV_SECRET_FILE, Secret, generate_app_key, generate_secret};

use crate::crypto::AppKey;
use ipnet::IpNet;
use secret::{resolve_app_key, resolve_secret};

/// All settings of the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// `APP_ENV`: local | testing | production (default local).
    pub app_env: AppEnv,
    /// `APP_HOST` (default 127.0.0.1).
    pub host: String,
    /// `APP_PORT` (default 8000; 0 picks a free port).
    pub port: u16,
    /// `APP_URL` (default http://localhost:8000).
    pub app_url: String,
    /// `DATABASE_URL` (default storage/database.sqlite).
    pub database_url: String,
    /// `DB_POOL_SIZE` (default 10).
    pub db_pool_size: u32,
    /// `DB_TIMEOUT` in seconds (default 5): how long a request waits for a connection before a 503.
    pub db_timeout: Duration,
    /// The `JWT_*` settings.
    pub jwt: JwtConfig,
    /// `APP_KEY` (Laravel's format, `base64:` + 32 bytes): the key of every HMAC (email digests in
    /// the audit log, rate-limit keys). Required in production; elsewhere generated into storage/app-key.
    pub app_key: AppKey,
    /// `BCRYPT_ROUNDS` (default 12; below 10 only with APP_ENV=testing).
    pub bcrypt_rounds: u32,
    /// `CORS_ALLOWED_ORIGINS`, comma-separated (default none: no CORS headers at all; `*` for any).
    pub cors_allowed_origins: Vec<String>,
    /// `SPA_DEMO` (default false): serve the browser demo of examples/ at `/`.
    pub spa_demo: bool,
    /// The `OAUTH_*` settings of `POST /oauth/token`.
    pub oauth: OAuthConfig,
    /// Brute-force limits: the `RATE_LIMIT_*` settings and `TRUSTED_PROXIES`.
    pub rate_limit: RateLimitConfig,
    /// `HASH_CONCURRENCY` (default: the number of CPUs): bcrypt jobs running at once.
    pub hash_concurrency: usize,
    /// `HASH_QUEUE_TIMEOUT` in seconds (default 2): how long a request waits to start hashing before 503.
    pub hash_queue_timeout: Duration,
}

/// Brute-force limits, counted in this process (see README, "Security").
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// `RATE_LIMIT_ENABLED` (default true, also with APP_ENV=testing); false switches every limit off.
    pub enabled: bool,
    /// `RATE_LIMIT_LOGIN_PER_MINUTE` (default 5): failed logins per account per minute.
    pub login_per_minute: u32,
    /// `RATE_LIMIT_LOGIN_PER_HOUR` (default 100): failed logins per account per hour (NIST SP 800-63B).
    pub login_per_hour: u32,
    /// `RATE_LIMIT_LOGIN_IP_PER_MINUTE` (default 30): login attempts per client IP per minute.
    pub login_ip_per_minute: u32,
    /// `RATE_LIMIT_REGISTER_IP_PER_HOUR` (default 10): sign-ups per client IP per hour.
    pub register_ip_per_hour: u32,
    /// `RATE_LIMIT_REFRESH_IP_PER_5_MINUTES` (default 150): refreshes per client IP per 5 minutes.
    pub refresh_ip_per_5_minutes: u32,
    /// `TRUSTED_PROXIES` (default none): comma-separated IPs or CIDRs whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// Refresh-token lifetimes of the OAuth endpoint (league/oauth2-server's refresh token grant).
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// `OAUTH_REFRESH_TTL` in minutes: absolute lifetime of a login's refresh tokens (default 43200, 30 days).
    pub refresh_ttl_minutes: u32,
    /// `OAUTH_REFRESH_IDLE_TTL` in minutes: a refresh token unused this long expires (default 20160, 14 days).
    pub refresh_idle_ttl_minutes: u32,
    /// `OAUTH_REFRESH_REUSE_INTERVAL` in seconds: a just-rotated token presented again within it gets the
    /// same child instead of revoking the family (default 0).
    pub refresh_reuse_interval_seconds: u32,
}

/// Token settings (tymon/jwt-auth's config/jwt.php).
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// `JWT_SECRET`, at least 32 bytes (default outside production: generated into storage/jwt-secret).
    pub secret: Secret,
    /// `JWT_ISSUER` (default APP_URL).
    pub issuer: String,
    /// `JWT_TTL` in minutes (default 60).
    pub ttl_minutes: u32,
    /// `JWT_REFRESH_TTL` in minutes, counted from the login (default 20160, two weeks).
    pub refresh_ttl_minutes: u32,
    /// `JWT_LEEWAY` in seconds of clock skew allowed on exp, nbf and iat (default 0).
    pub leeway_seconds: u32,
    /// `JWT_BLACKLIST_GRACE_PERIOD` in seconds a refreshed token keeps working (default 0).
    pub blacklist_grace_seconds: u32,
}

/// Where the server runs; production refuses shortcuts meant for development.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Local,
    Testing,
    Production,
}

/// A setting that stops the start, naming its variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

pub(crate) fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

impl Config {
    /// Reads the process environment (after main.rs loaded .env).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let app_env = match get("APP_ENV").as_deref() {
            None | Some("local") => AppEnv::Local,
            Some("testing") => AppEnv::Testing,
            Some("production") => AppEnv::Production,
            Some(other) => {
                return Err(invalid(
                    "APP_ENV",
                    format!("must be local, testing or production, not {other:?}"),
                ));
            }
        };
        let app_url = get("APP_URL").unwrap_or_else(|| "http://localhost:8000".into());
        let bcrypt_rounds = number(&get, "BCRYPT_ROUNDS", 12)?;
        if !(4..=31).contains(&bcrypt_rounds) {
            return Err(invalid("BCRYPT_ROUNDS", "must be between 4 and 31"));
        }
        if bcrypt_rounds < 10 && app_env != AppEnv::Testing {
            return Err(invalid(
                "BCRYPT_ROUNDS",
                "below 10 is only allowed with APP_ENV=testing",
            ));
        }
        let db_timeout = seconds(&get, "DB_TIMEOUT", 5.0)?;
        let db_pool_size = number(&get, "DB_POOL_SIZE", 10)?;
        if db_pool_size == 0 {
            return Err(invalid("DB_POOL_SIZE", "must be at least 1"));
        }
        let jwt = JwtConfig {
            secret: resolve_secret(get("JWT_SECRET"), app_env)?,
            issuer: get("JWT_ISSUER").unwrap_or_else(|| app_url.clone()),
            ttl_minutes: positive(&get, "JWT_TTL", 60)?,
            refresh_ttl_minutes: positive(&get, "JWT_REFRESH_TTL", 20160)?,
            leeway_seconds: number(&get, "JWT_LEEWAY", 0)?,
            blacklist_grace_seconds: number(&get, "JWT_BLACKLIST_GRACE_PERIOD", 0)?,
        };
        let cors_allowed_origins: Vec<String> = get("CORS_ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(bad) = cors_allowed_origins.iter().find(|o| !is_origin(o)) {
            return Err(invalid(
                "CORS_ALLOWED_ORIGINS",
                format!(
                    "{bad:?} is not an origin like https://app.example.com (no path, no trailing slash) or *"
                ),
            ));
        }
        Ok(Self {
            app_env,
            host: get("APP_HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port: number(&get, "APP_PORT", 8000)?,
            app_url,
            database_url: get("DATABASE_URL").unwrap_or_else(|| "storage/database.sqlite".into()),
            db_pool_size,
            db_timeout: Duration::from_secs_f64(db_timeout),
            jwt,
            app_key: resolve_app_key(get("APP_KEY"), app_env)?,
            bcrypt_rounds,
            cors_allowed_origins,
            spa_demo: flag(&get, "SPA_DEMO")?,
            oauth: OAuthConfig {
                refresh_ttl_minutes: positive(&get, "OAUTH_REFRESH_TTL", 43200)?,
                refresh_idle_ttl_minutes: positive(&get, "OAUTH_REFRESH_IDLE_TTL", 20160)?,
                refresh_reuse_interval_seconds: number(&get, "OAUTH_REFRESH_REUSE_INTERVAL", 0)?,
            },
            rate_limit: RateLimitConfig {
                enabled: get("RATE_LIMIT_ENABLED").is_none() || flag(&get, "RATE_LIMIT_ENABLED")?,
                login_per_minute: positive(&get, "RATE_LIMIT_LOGIN_PER_MINUTE", 5)?,
                login_per_hour: positive(&get, "RATE_LIMIT_LOGIN_PER_HOUR", 100)?,
                login_ip_per_minute: positive(&get, "RATE_LIMIT_LOGIN_IP_PER_MINUTE", 30)?,
                register_ip_per_hour: positive(&get, "RATE_LIMIT_REGISTER_IP_PER_HOUR", 10)?,
                refresh_ip_per_5_minutes: positive(
                    &get,
                    "RATE_LIMIT_REFRESH_IP_PER_5_MINUTES",
                    150,
                )?,
                trusted_proxies: get("TRUSTED_PROXIES")
                    .map(|v| {
                        v.split(',')
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .map(parse_network)
                            .collect()
                    })
                    .transpose()
                    .map_err(|bad| {
                        invalid(
                            "TRUSTED_PROXIES",
                            format!("{bad:?} is not an IP address or CIDR"),
                        )
                    })?
                    .unwrap_or_default(),
            },
            hash_concurrency: number(&get, "HASH_CONCURRENCY", default_hash_concurrency())?.max(1),
            hash_queue_timeout: Duration::from_secs_f64(seconds(&get, "HASH_QUEUE_TIMEOUT", 2.0)?),
        })
    }
}

/// `10.0.0.0/8`, `fd00::/8`, or a bare address (its /32 or /128); the text back on error.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| text.to_owned())
}

/// `*`, or `scheme://host[:port]` as browsers send it in `Origin`.
fn is_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    let Some((scheme, host)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(raw) => raw
            .parse()
            .map_err(|_| invalid(var, format!("{raw:?} is not a valid number here"))),
    }
}

/// A positive number of seconds, fractions allowed.
fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: f64,
) -> Result<f64, ConfigError> {
    let value: f64 = number(get, var, default)?;
    if value > 0.0 && value <= 3600.0 {
        Ok(value)
    } else {
        Err(invalid(
            var,
            "must be a number of seconds above 0 (at most 3600)",
        ))
    }
}

fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn flag(get: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<bool, ConfigError> {
    match get(var).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0" | "no" | "off") => Ok(false),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some(other) => Err(invalid(var, format!("{other:?} is not true or false"))),
    }
}

fn positive(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u32,
) -> Result<u32, ConfigError> {
    match number(get, var, default)? {
        0 => Err(invalid(var, "must be at least 1")),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests;
