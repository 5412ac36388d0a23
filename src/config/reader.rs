//! Every setting's name and default, written once ([`DEFAULTS`]), and the typed reads of a value.
//! docs/configuration.md and .env.example are held against this table by tests/docs.rs.

use std::str::FromStr;

use super::{ConfigError, invalid};

/// Every setting, in the order docs/configuration.md and .env.example list them, with its default.
/// An empty default means "none": the setting is optional, or derived (see the docs).
pub const DEFAULTS: &[(&str, &str)] = &[
    ("APP_NAME", "jwt-auth-server"),
    ("APP_ENV", "local"),
    ("APP_HOST", "127.0.0.1"),
    ("APP_PORT", "8000"),
    ("APP_URL", ""),
    ("DATABASE_URL", ""),
    ("DB_CONNECTION", ""),
    ("DB_HOST", "127.0.0.1"),
    ("DB_PORT", "5432"),
    ("DB_DATABASE", ""),
    ("DB_USERNAME", "root"),
    ("DB_PASSWORD", ""),
    ("DB_POOL_SIZE", "10"),
    ("DB_TIMEOUT", "5"),
    ("APP_KEY", ""),
    ("JWT_SECRET", ""),
    ("JWT_ALGO", "HS256"),
    ("JWT_PRIVATE_KEY", ""),
    ("JWT_PUBLIC_KEY", ""),
    ("JWT_KEYS_RELOAD", "30"),
    ("JWT_ISSUER", ""),
    ("JWT_TTL", "60"),
    ("JWT_REFRESH_TTL", "20160"),
    ("JWT_LEEWAY", "0"),
    ("JWT_BLACKLIST_GRACE_PERIOD", "0"),
    ("JWT_REFRESH_RACE_WINDOW", "10"),
    ("LARAVEL_JWT_SECRET", ""),
    ("LARAVEL_TOKENS_UNTIL", ""),
    ("LARAVEL_USER_MODEL", ""),
    ("LARAVEL_ISSUER_PREFIX", ""),
    ("BCRYPT_ROUNDS", "12"),
    ("CORS_ALLOWED_ORIGINS", ""),
    ("SPA_DEMO", "false"),
    ("REFRESH_COOKIE", "false"),
    ("REFRESH_COOKIE_NAME", "refresh_token"),
    ("REFRESH_COOKIE_PATH", "/api"),
    ("REFRESH_COOKIE_DOMAIN", ""),
    ("REFRESH_COOKIE_SAMESITE", "strict"),
    ("REFRESH_COOKIE_SECURE", "true"),
    ("FRONTEND_URL", ""),
    ("MAIL_MAILER", ""),
    ("MAIL_HOST", "127.0.0.1"),
    ("MAIL_PORT", "587"),
    ("MAIL_USERNAME", ""),
    ("MAIL_PASSWORD", ""),
    ("MAIL_ENCRYPTION", "starttls"),
    ("MAIL_FROM_ADDRESS", "hello@example.com"),
    ("MAIL_FROM_NAME", "jwt-auth-server"),
    ("MAIL_VERIFY", "true"),
    ("MUST_VERIFY_EMAIL", "false"),
    ("PASSWORD_RESET_EXPIRE", "60"),
    ("OAUTH_REFRESH_TTL", "43200"),
    ("OAUTH_REFRESH_IDLE_TTL", "20160"),
    ("OAUTH_REFRESH_REUSE_INTERVAL", "0"),
    ("OAUTH_DEFAULT_RESOURCE", ""),
    ("OAUTH_PUBLIC_SCOPES", ""),
    ("OAUTH_VIEWS", ""),
    ("RATE_LIMIT_ENABLED", "true"),
    ("RATE_LIMIT_STORE", ""),
    ("RATE_LIMIT_LOGIN_PER_MINUTE", "5"),
    ("RATE_LIMIT_LOGIN_PER_HOUR", "100"),
    ("RATE_LIMIT_LOGIN_IP_PER_MINUTE", "30"),
    ("RATE_LIMIT_REGISTER_IP_PER_HOUR", "10"),
    ("RATE_LIMIT_REFRESH_IP_PER_5_MINUTES", "150"),
    ("RATE_LIMIT_MAIL_PER_HOUR", "5"),
    ("TRUSTED_PROXIES", ""),
    ("HASH_CONCURRENCY", ""),
    ("HASH_QUEUE_TIMEOUT", "10"),
    ("SHUTDOWN_DELAY", "5"),
    ("SHUTDOWN_TIMEOUT", "30"),
    ("METRICS_ADDR", ""),
    ("RUST_LOG", "info"),
];

/// The default of `name` from [`DEFAULTS`], if it has one.
pub fn default_of(name: &str) -> Option<&'static str> {
    DEFAULTS
        .iter()
        .find(|(setting, _)| *setting == name)
        .map(|(_, default)| *default)
        .filter(|default| !default.is_empty())
}

/// Reads settings through a lookup (the environment, or a map in tests); empty values count as
/// unset, and an unset setting reads as its default. Laravel's `env()` conventions hold: `null`,
/// `(null)`, `empty` and `(empty)` (any case) are unset, `(true)` and `(false)` are booleans.
pub struct Reader<F> {
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    pub fn new(lookup: F) -> Self {
        Self { lookup }
    }

    /// The value as set, trimmed; `None` when unset or empty (no default applied).
    pub fn set(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty() && !means_unset(v))
    }

    /// The value, or its default; `None` for an unset setting without one.
    pub fn text(&self, var: &str) -> Option<String> {
        self.set(var).or_else(|| default_of(var).map(str::to_owned))
    }

    /// A number (the type says which kind).
    pub fn number<T: FromStr>(&self, var: &'static str) -> Result<Option<T>, ConfigError> {
        self.text(var)
            .map(|raw| {
                raw.parse()
                    .map_err(|_| invalid(var, format!("{raw:?} is not a valid number here")))
            })
            .transpose()
    }

    /// A number that has a default.
    pub fn required<T: FromStr>(&self, var: &'static str) -> Result<T, ConfigError> {
        self.number(var)?
            .ok_or_else(|| invalid(var, "has no default and is not set"))
    }

    /// A whole number of at least 1.
    pub fn positive(&self, var: &'static str) -> Result<u32, ConfigError> {
        match self.required(var)? {
            0 => Err(invalid(var, "must be at least 1")),
            n => Ok(n),
        }
    }

    /// A number of seconds above 0 and at most an hour, fractions allowed.
    pub fn seconds(&self, var: &'static str) -> Result<std::time::Duration, ConfigError> {
        let value: f64 = self.required(var)?;
        if value > 0.0 && value <= 3600.0 {
            Ok(std::time::Duration::from_secs_f64(value))
        } else {
            Err(invalid(
                var,
                "must be a number of seconds above 0 (at most 3600)",
            ))
        }
    }

    /// true/false (also 1/0, yes/no, on/off).
    pub fn flag(&self, var: &'static str) -> Result<bool, ConfigError> {
        match self.text(var).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("false" | "(false)" | "0" | "no" | "off") => Ok(false),
            Some("true" | "(true)" | "1" | "yes" | "on") => Ok(true),
            Some(other) => Err(invalid(var, format!("{other:?} is not true or false"))),
        }
    }

    /// A comma-separated list; empty items are dropped.
    pub fn list(&self, var: &str) -> Vec<String> {
        self.text(var)
            .map(|v| {
                v.split(',')
                    .map(|item| item.trim().to_owned())
                    .filter(|item| !item.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Laravel's words for "no value" in a `.env` (`Illuminate\Support\Env`).
fn means_unset(value: &str) -> bool {
    ["null", "(null)", "empty", "(empty)"]
        .iter()
        .any(|word| value.eq_ignore_ascii_case(word))
}
