//! Settings from the environment (Laravel: config/*.php reading .env), read one section per
//! function. Every default is written once, in `reader::DEFAULTS`; docs/configuration.md and
//! .env.example list the same variables in the same order (tests/docs.rs checks).

mod algo;
mod cookie;
mod mail;
mod reader;
mod secret;

use std::path::PathBuf;
use std::time::Duration;

pub use secret::{DEV_APP_KEY_FILE, DEV_SECRET_FILE, Secret, generate_app_key, generate_secret};

use crate::crypto::AppKey;
pub use algo::Algo;
pub use cookie::{RefreshCookieConfig, SameSite, allowed_origins, origin_of};
use ipnet::IpNet;
pub use mail::{Encryption, MAIL_DIR, MailConfig, MailerConfig, SmtpConfig};
use reader::Reader;
pub use reader::{DEFAULTS, default_of};
use secret::{resolve_app_key, resolve_secret};

/// All settings of the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// `APP_ENV`: local | testing | production.
    pub app_env: AppEnv,
    /// `APP_HOST`: the listen address.
    pub host: String,
    /// `APP_PORT` (0 picks a free port).
    pub port: u16,
    /// `APP_URL`: where the server is reached (the default issuer).
    pub app_url: String,
    /// `DATABASE_URL`: an SQLite path or a PostgreSQL URL.
    pub database_url: String,
    /// `DB_POOL_SIZE`: connections in the pool.
    pub db_pool_size: u32,
    /// `DB_TIMEOUT`: how long a request waits for a connection before a 503.
    pub db_timeout: Duration,
    /// The `JWT_*` settings.
    pub jwt: JwtConfig,
    /// `APP_KEY` (Laravel's format, `base64:` + 32 bytes): the key of every HMAC (email digests in
    /// the audit log, rate-limit keys). Required in production; elsewhere generated into storage/app-key.
    pub app_key: AppKey,
    /// `BCRYPT_ROUNDS` (below 10 only with APP_ENV=testing).
    pub bcrypt_rounds: u32,
    /// `CORS_ALLOWED_ORIGINS`, comma-separated (none: no CORS headers at all; `*` for any).
    pub cors_allowed_origins: Vec<String>,
    /// `SPA_DEMO`: serve the browser demo of examples/ at `/`.
    pub spa_demo: bool,
    /// `REFRESH_COOKIE=true`: SPA cookie mode and its `REFRESH_COOKIE_*` settings (docs/spa.md).
    pub refresh_cookie: Option<RefreshCookieConfig>,
    /// The `MAIL_*` settings, `FRONTEND_URL` and the account e-mails' rules.
    pub mail: MailConfig,
    /// The `OAUTH_*` settings of `POST /oauth/token`.
    pub oauth: OAuthConfig,
    /// Brute-force limits: the `RATE_LIMIT_*` settings and `TRUSTED_PROXIES`.
    pub rate_limit: RateLimitConfig,
    /// `HASH_CONCURRENCY` (unset: the number of CPUs): bcrypt jobs running at once.
    pub hash_concurrency: usize,
    /// `HASH_QUEUE_TIMEOUT`: how long a request waits to start hashing before 503.
    pub hash_queue_timeout: Duration,
    /// `SHUTDOWN_DELAY`: after SIGTERM/SIGINT, how long readiness answers 503 while the listener
    /// still serves, so load balancers stop sending before it closes (0 allowed).
    pub shutdown_delay: Duration,
    /// `SHUTDOWN_TIMEOUT`: then how long requests in flight get to finish.
    pub shutdown_timeout: Duration,
    /// `METRICS_ADDR` (IP:port; unset: no metrics listener): where `GET /metrics` is served,
    /// apart from the API so it can stay on a private interface.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

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

/// Refresh-token lifetimes of the OAuth endpoint (league/oauth2-server's refresh token grant).
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// `OAUTH_REFRESH_TTL` in minutes: absolute lifetime of a login's refresh tokens.
    pub refresh_ttl_minutes: u32,
    /// `OAUTH_REFRESH_IDLE_TTL` in minutes: a refresh token unused this long expires.
    pub refresh_idle_ttl_minutes: u32,
    /// `OAUTH_REFRESH_REUSE_INTERVAL` in seconds: a just-rotated token presented again within it gets the
    /// same child instead of revoking the family.
    pub refresh_reuse_interval_seconds: u32,
}

/// Token settings (tymon/jwt-auth's config/jwt.php).
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// `JWT_SECRET`, at least 32 bytes (unset outside production: generated into storage/jwt-secret).
    /// Optional with an asymmetric algorithm: then it only verifies HS256 tokens from before.
    pub secret: Option<Secret>,
    /// `JWT_ALGO`: HS256 (with the secret) or ES256, EdDSA, RS256 (with the key ring).
    pub algo: Algo,
    /// `JWT_PRIVATE_KEY` / `JWT_PUBLIC_KEY`: PEM files of one fixed key instead of the ring.
    pub private_key: Option<PathBuf>,
    pub public_key: Option<PathBuf>,
    /// `JWT_KEYS_RELOAD`: seconds between two reads of the key ring (a rotation reaches every
    /// instance within this).
    pub keys_reload_seconds: u32,
    /// `JWT_ISSUER` (unset: APP_URL).
    pub issuer: String,
    /// `JWT_TTL` in minutes.
    pub ttl_minutes: u32,
    /// `JWT_REFRESH_TTL` in minutes, counted from the login.
    pub refresh_ttl_minutes: u32,
    /// `JWT_LEEWAY` in seconds of clock skew allowed on exp, nbf and iat.
    pub leeway_seconds: u32,
    /// `JWT_BLACKLIST_GRACE_PERIOD` in seconds a refreshed token keeps working.
    pub blacklist_grace_seconds: u32,
    /// `JWT_REFRESH_RACE_WINDOW` in seconds: a refreshed token presented again within it (or the
    /// grace period, if longer) is a concurrent request; later, a replay that ends its session.
    pub refresh_race_window_seconds: u32,
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

    /// Reads settings through `lookup`, one section at a time; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let r = Reader::new(lookup);
        let app_env = app_env(&r)?;
        let app_url = r.text("APP_URL").unwrap_or_default();
        let (database_url, db_pool_size, db_timeout) = database(&r)?;
        let (bcrypt_rounds, hash_concurrency, hash_queue_timeout) = hashing(&r, app_env)?;
        let cors_allowed_origins = cors_allowed_origins(&r)?;
        let refresh_cookie = cookie::refresh_cookie(&r, &app_url, &cors_allowed_origins)?;
        // Read after the secrets below, whose errors a first production start meets first.
        let mail_app_url = app_url.clone();
        Ok(Self {
            app_env,
            host: r.text("APP_HOST").unwrap_or_default(),
            port: r.required("APP_PORT")?,
            jwt: jwt(&r, app_env, &app_url)?,
            app_url,
            database_url,
            db_pool_size,
            db_timeout,
            app_key: resolve_app_key(r.set("APP_KEY"), app_env)?,
            mail: mail::mail(&r, app_env, &mail_app_url)?,
            bcrypt_rounds,
            refresh_cookie,
            cors_allowed_origins,
            spa_demo: r.flag("SPA_DEMO")?,
            oauth: oauth(&r)?,
            rate_limit: rate_limits(&r)?,
            hash_concurrency,
            hash_queue_timeout,
            shutdown_delay: Duration::from_secs(r.required("SHUTDOWN_DELAY")?),
            shutdown_timeout: Duration::from_secs(u64::from(r.positive("SHUTDOWN_TIMEOUT")?)),
            metrics_addr: r
                .text("METRICS_ADDR")
                .map(|raw| {
                    raw.parse().map_err(|_| {
                        invalid(
                            "METRICS_ADDR",
                            format!("{raw:?} is not IP:port, e.g. 127.0.0.1:9100"),
                        )
                    })
                })
                .transpose()?,
        })
    }
}

fn app_env<F: Fn(&str) -> Option<String>>(r: &Reader<F>) -> Result<AppEnv, ConfigError> {
    match r.text("APP_ENV").as_deref() {
        Some("local") => Ok(AppEnv::Local),
        Some("testing") => Ok(AppEnv::Testing),
        Some("production") => Ok(AppEnv::Production),
        other => Err(invalid(
            "APP_ENV",
            format!("must be local, testing or production, not {other:?}"),
        )),
    }
}

/// `DATABASE_URL`, `DB_POOL_SIZE`, `DB_TIMEOUT`.
fn database<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
) -> Result<(String, u32, Duration), ConfigError> {
    let pool_size = r.positive("DB_POOL_SIZE")?;
    Ok((
        r.text("DATABASE_URL").unwrap_or_default(),
        pool_size,
        r.seconds("DB_TIMEOUT")?,
    ))
}

/// The `JWT_*` settings.
fn jwt<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
    app_env: AppEnv,
    app_url: &str,
) -> Result<JwtConfig, ConfigError> {
    let algo_name = r.text("JWT_ALGO").unwrap_or_default();
    let algo = Algo::parse(&algo_name).ok_or_else(|| {
        invalid(
            "JWT_ALGO",
            format!("{algo_name:?} is not HS256, ES256, EdDSA or RS256"),
        )
    })?;
    if r.set("JWT_PRIVATE_KEY").is_some() && !algo.is_asymmetric() {
        return Err(invalid(
            "JWT_PRIVATE_KEY",
            "needs JWT_ALGO=ES256, EdDSA or RS256 (HS256 signs with JWT_SECRET)",
        ));
    }
    Ok(JwtConfig {
        secret: resolve_secret(r.set("JWT_SECRET"), app_env, !algo.is_asymmetric())?,
        algo,
        private_key: r.set("JWT_PRIVATE_KEY").map(PathBuf::from),
        public_key: r.set("JWT_PUBLIC_KEY").map(PathBuf::from),
        keys_reload_seconds: r.positive("JWT_KEYS_RELOAD")?,
        issuer: r.text("JWT_ISSUER").unwrap_or_else(|| app_url.to_owned()),
        ttl_minutes: r.positive("JWT_TTL")?,
        refresh_ttl_minutes: r.positive("JWT_REFRESH_TTL")?,
        leeway_seconds: r.required("JWT_LEEWAY")?,
        blacklist_grace_seconds: r.required("JWT_BLACKLIST_GRACE_PERIOD")?,
        refresh_race_window_seconds: r.positive("JWT_REFRESH_RACE_WINDOW")?,
    })
}

/// `BCRYPT_ROUNDS`, `HASH_CONCURRENCY` (unset: the number of CPUs), `HASH_QUEUE_TIMEOUT`.
fn hashing<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
    app_env: AppEnv,
) -> Result<(u32, usize, Duration), ConfigError> {
    let rounds: u32 = r.required("BCRYPT_ROUNDS")?;
    if !(4..=31).contains(&rounds) {
        return Err(invalid("BCRYPT_ROUNDS", "must be between 4 and 31"));
    }
    if rounds < 10 && app_env != AppEnv::Testing {
        return Err(invalid(
            "BCRYPT_ROUNDS",
            "below 10 is only allowed with APP_ENV=testing",
        ));
    }
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let concurrency = r.number("HASH_CONCURRENCY")?.unwrap_or(cpus).max(1);
    Ok((rounds, concurrency, r.seconds("HASH_QUEUE_TIMEOUT")?))
}

/// `CORS_ALLOWED_ORIGINS`: origins as browsers send them, or `*`.
fn cors_allowed_origins<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
) -> Result<Vec<String>, ConfigError> {
    let origins = r.list("CORS_ALLOWED_ORIGINS");
    match origins.iter().find(|o| !is_origin(o)) {
        Some(bad) => Err(invalid(
            "CORS_ALLOWED_ORIGINS",
            format!(
                "{bad:?} is not an origin like https://app.example.com (no path, no trailing slash) or *"
            ),
        )),
        None => Ok(origins),
    }
}

/// The `OAUTH_*` settings.
fn oauth<F: Fn(&str) -> Option<String>>(r: &Reader<F>) -> Result<OAuthConfig, ConfigError> {
    Ok(OAuthConfig {
        refresh_ttl_minutes: r.positive("OAUTH_REFRESH_TTL")?,
        refresh_idle_ttl_minutes: r.positive("OAUTH_REFRESH_IDLE_TTL")?,
        refresh_reuse_interval_seconds: r.required("OAUTH_REFRESH_REUSE_INTERVAL")?,
    })
}

/// The `RATE_LIMIT_*` settings and `TRUSTED_PROXIES`.
fn rate_limits<F: Fn(&str) -> Option<String>>(
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

#[cfg(test)]
mod tests;
