//! Settings from the environment (Laravel: config/*.php reading .env), read one section per
//! function. Every default is written once, in `reader::DEFAULTS`; docs/configuration.md and
//! .env.example list the same variables in the same order (tests/docs.rs checks).

mod algo;
mod cookie;
mod database;
mod error;
mod jwt;
mod limits;
mod mail;
mod reader;
mod secret;
mod views;

use std::time::Duration;

pub use secret::{DEV_APP_KEY_FILE, DEV_SECRET_FILE, Secret, generate_app_key, generate_secret};

use crate::crypto::AppKey;
pub use algo::Algo;
pub use cookie::{RefreshCookieConfig, SameSite, allowed_origins, origin_of};
use database::{database, url_of};
pub use error::ConfigError;
use error::Errors;
pub(crate) use error::invalid;
use jwt::jwt;
pub use jwt::{JwtConfig, LaravelTokensConfig, unread_jwt_settings};
use limits::rate_limits;
pub use limits::{RateLimitConfig, RateLimitStore, parse_network};
pub use mail::{Encryption, MAIL_DIR, MailConfig, MailerConfig, SmtpConfig};
use reader::Reader;
pub use reader::{DEFAULTS, default_of};
use secret::resolve_app_key;
pub use views::PageText;

/// All settings of the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// `APP_NAME`: the issuer name authenticator apps show beside a two-factor code.
    pub app_name: String,
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
    /// `OAUTH_DEFAULT_RESOURCE` (unset: APP_URL): the `aud` of an OAuth access token that asked for
    /// no `resource`, and the only audience the `/api` routes accept.
    pub default_resource: String,
    /// `OAUTH_PUBLIC_SCOPES`: the scopes the RFC 8414 document lists (space-separated).
    pub public_scopes: Vec<String>,
    /// `OAUTH_VIEWS`: the words of the `/oauth/authorize` pages (its `text.json` over the defaults).
    pub page_text: PageText,
}

/// Where the server runs; production refuses shortcuts meant for development.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Local,
    Testing,
    Production,
}

impl Config {
    /// Reads the process environment (after main.rs loaded .env).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, one section at a time; empty values count as unset. Every
    /// section is read even after one failed: the error names every setting that stops the start.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let r = Reader::new(lookup);
        let mut errors = Errors::default();
        let app_env = errors.ok(app_env(&r));
        // The rest is read by the rules of the environment named, or of local's when it is wrong.
        let env = app_env.unwrap_or(AppEnv::Local);
        let host = r.text("APP_HOST").unwrap_or_default();
        let port = errors.ok(r.required("APP_PORT"));
        let app_url = r
            .set("APP_URL")
            .unwrap_or_else(|| url_of(&host, port.unwrap_or_default()));
        let database = errors.ok(database(&r));
        let hashing = errors.ok(hashing(&r, env));
        let cors_allowed_origins = errors.ok(cors_allowed_origins(&r));
        let refresh_cookie = errors.ok(cookie::refresh_cookie(
            &r,
            &app_url,
            cors_allowed_origins.as_deref().unwrap_or_default(),
        ));
        let jwt = errors.ok(jwt(&r, env, &app_url));
        let app_key = errors.ok(resolve_app_key(r.set("APP_KEY"), env));
        let mail = errors.ok(mail::mail(&r, env, &app_url));
        let spa_demo = errors.ok(r.flag("SPA_DEMO"));
        let oauth = errors.ok(oauth(&r, &app_url));
        let rate_limit = errors.ok(rate_limits(&r));
        let shutdown_delay = errors.ok(r.required("SHUTDOWN_DELAY"));
        let shutdown_timeout = errors.ok(r.positive("SHUTDOWN_TIMEOUT"));
        let metrics_addr = errors.ok(metrics_addr(&r));
        let (
            Some(app_env),
            Some(port),
            Some((database_url, db_pool_size, db_timeout)),
            Some((bcrypt_rounds, hash_concurrency, hash_queue_timeout)),
            Some(cors_allowed_origins),
            Some(refresh_cookie),
            Some(jwt),
            Some(app_key),
            Some(mail),
            Some(spa_demo),
            Some(oauth),
            Some(rate_limit),
            Some(shutdown_delay),
            Some(shutdown_timeout),
            Some(metrics_addr),
        ) = (
            app_env,
            port,
            database,
            hashing,
            cors_allowed_origins,
            refresh_cookie,
            jwt,
            app_key,
            mail,
            spa_demo,
            oauth,
            rate_limit,
            shutdown_delay,
            shutdown_timeout,
            metrics_addr,
        )
        else {
            return Err(errors.into_error());
        };
        Ok(Self {
            app_name: r.text("APP_NAME").unwrap_or_default(),
            app_env,
            host,
            port,
            app_url,
            database_url,
            db_pool_size,
            db_timeout,
            jwt,
            app_key,
            bcrypt_rounds,
            cors_allowed_origins,
            spa_demo,
            refresh_cookie,
            mail,
            oauth,
            rate_limit,
            hash_concurrency,
            hash_queue_timeout,
            shutdown_delay: Duration::from_secs(shutdown_delay),
            shutdown_timeout: Duration::from_secs(u64::from(shutdown_timeout)),
            metrics_addr,
        })
    }
}

/// `METRICS_ADDR`.
fn metrics_addr<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
) -> Result<Option<std::net::SocketAddr>, ConfigError> {
    r.text("METRICS_ADDR")
        .map(|raw| {
            raw.parse().map_err(|_| {
                invalid(
                    "METRICS_ADDR",
                    format!("{raw:?} is not IP:port, e.g. 127.0.0.1:9100"),
                )
            })
        })
        .transpose()
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
fn oauth<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
    app_url: &str,
) -> Result<OAuthConfig, ConfigError> {
    let public_scopes: Vec<String> = r
        .text("OAUTH_PUBLIC_SCOPES")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    Ok(OAuthConfig {
        refresh_ttl_minutes: r.positive("OAUTH_REFRESH_TTL")?,
        refresh_idle_ttl_minutes: r.positive("OAUTH_REFRESH_IDLE_TTL")?,
        refresh_reuse_interval_seconds: r.required("OAUTH_REFRESH_REUSE_INTERVAL")?,
        default_resource: r
            .set("OAUTH_DEFAULT_RESOURCE")
            .unwrap_or_else(|| app_url.to_owned()),
        public_scopes,
        page_text: views::page_text(r.set("OAUTH_VIEWS"))?,
    })
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
mod laravel_env_tests;
#[cfg(test)]
mod tests;
