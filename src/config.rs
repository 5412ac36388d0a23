//! Settings from the environment (Laravel: config/*.php reading .env). Each field names its env var
//! and default; .env.example lists the same variables in the same order.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Where a secret generated for development is kept between starts.
pub const DEV_SECRET_FILE: &str = "storage/jwt-secret";

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
    /// `BCRYPT_ROUNDS` (default 12; below 10 only with APP_ENV=testing).
    pub bcrypt_rounds: u32,
    /// `CORS_ALLOWED_ORIGINS`, comma-separated (default none: no CORS headers at all; `*` for any).
    pub cors_allowed_origins: Vec<String>,
    /// `SPA_DEMO` (default false): serve the browser demo of examples/ at `/`.
    pub spa_demo: bool,
    /// The `OAUTH_*` settings of `POST /oauth/token`.
    pub oauth: OAuthConfig,
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

/// A secret whose `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; only the signing keys should ask.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A setting that stops the start, naming its variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
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
        let db_timeout: f64 = number(&get, "DB_TIMEOUT", 5.0)?;
        if !(db_timeout > 0.0 && db_timeout <= 3600.0) {
            return Err(invalid("DB_TIMEOUT", "must be a number of seconds above 0"));
        }
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
            bcrypt_rounds,
            cors_allowed_origins,
            spa_demo: flag(&get, "SPA_DEMO")?,
            oauth: OAuthConfig {
                refresh_ttl_minutes: positive(&get, "OAUTH_REFRESH_TTL", 43200)?,
                refresh_idle_ttl_minutes: positive(&get, "OAUTH_REFRESH_IDLE_TTL", 20160)?,
                refresh_reuse_interval_seconds: number(&get, "OAUTH_REFRESH_REUSE_INTERVAL", 0)?,
            },
        })
    }
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

/// JWT_SECRET, or outside production a generated one kept in storage/jwt-secret across restarts.
fn resolve_secret(value: Option<String>, app_env: AppEnv) -> Result<Secret, ConfigError> {
    let secret = match value {
        Some(value) => value,
        None if app_env == AppEnv::Production => {
            return Err(invalid(
                "JWT_SECRET",
                "must be set in production (run `jwt-auth-server jwt:secret`)",
            ));
        }
        None => dev_secret(Path::new(DEV_SECRET_FILE)).map_err(|e| {
            invalid(
                "JWT_SECRET",
                format!("unset, and {DEV_SECRET_FILE} is unusable: {e}"),
            )
        })?,
    };
    if secret.len() < 32 {
        return Err(invalid("JWT_SECRET", "must be at least 32 bytes long"));
    }
    Ok(Secret(secret))
}

fn dev_secret(path: &Path) -> std::io::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing.trim().to_owned());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let secret = generate_secret();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, secret.as_bytes())?;
    tracing::info!(file = %path.display(), "JWT_SECRET is unset: generated a development secret");
    Ok(secret)
}

/// 48 random bytes as base64url: 64 characters, well above HS256's 32-byte minimum.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_documentation() {
        let c = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.app_env),
            ("127.0.0.1", 8000, AppEnv::Local)
        );
        assert_eq!(c.database_url, "storage/database.sqlite");
        assert_eq!((c.db_pool_size, c.db_timeout), (10, Duration::from_secs(5)));
        assert_eq!((c.jwt.ttl_minutes, c.jwt.refresh_ttl_minutes), (60, 20160));
        assert_eq!(
            (c.jwt.leeway_seconds, c.jwt.blacklist_grace_seconds),
            (0, 0)
        );
        assert_eq!(c.jwt.issuer, "http://localhost:8000");
        assert_eq!(c.bcrypt_rounds, 12);
        assert!(c.cors_allowed_origins.is_empty());
        assert!(!c.spa_demo);
        assert_eq!(
            (
                c.oauth.refresh_ttl_minutes,
                c.oauth.refresh_idle_ttl_minutes
            ),
            (43200, 20160)
        );
        assert_eq!(c.oauth.refresh_reuse_interval_seconds, 0);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let error = config(&[("JWT_SECRET", SECRET), ("JWT_TTL", "abc")]).unwrap_err();
        assert_eq!(error.var, "JWT_TTL");
        assert!(error.to_string().starts_with("JWT_TTL: "), "{error}");
    }

    #[test]
    fn a_short_secret_is_refused_without_showing_it() {
        let error = config(&[("JWT_SECRET", "too-short-secret")]).unwrap_err();
        assert_eq!(error.var, "JWT_SECRET");
        assert!(!error.to_string().contains("too-short-secret"));
    }

    #[test]
    fn production_requires_a_secret() {
        let error = config(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(error.var, "JWT_SECRET");
    }

    #[test]
    fn low_bcrypt_rounds_need_the_testing_environment() {
        assert_eq!(
            config(&[("JWT_SECRET", SECRET), ("BCRYPT_ROUNDS", "4")])
                .unwrap_err()
                .var,
            "BCRYPT_ROUNDS"
        );
        let c = config(&[
            ("JWT_SECRET", SECRET),
            ("BCRYPT_ROUNDS", "4"),
            ("APP_ENV", "testing"),
        ])
        .unwrap();
        assert_eq!(c.bcrypt_rounds, 4);
    }

    #[test]
    fn debug_output_redacts_the_secret() {
        let c = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert!(!format!("{c:?}").contains(SECRET));
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let c = config(&[
            ("JWT_SECRET", SECRET),
            ("CORS_ALLOWED_ORIGINS", "http://a.test, http://b.test"),
        ])
        .unwrap();
        assert_eq!(c.cors_allowed_origins, ["http://a.test", "http://b.test"]);
        let error = config(&[
            ("JWT_SECRET", SECRET),
            ("CORS_ALLOWED_ORIGINS", "http://a.test/"),
        ])
        .unwrap_err();
        assert_eq!(error.var, "CORS_ALLOWED_ORIGINS");
    }

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn the_development_secret_is_kept_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("jwt-secret-test-{}", uuid::Uuid::now_v7()));
        let path = dir.join("jwt-secret");
        let first = dev_secret(&path).unwrap();
        assert_eq!(dev_secret(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
