//! The `JWT_*` settings (tymon/jwt-auth's config/jwt.php), and the tymon settings this server
//! refuses or does not read.

use std::path::PathBuf;

use super::reader::Reader;
use super::secret::resolve_secret;
use super::{Algo, AppEnv, ConfigError, DEFAULTS, Secret, invalid};

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
    /// `LARAVEL_JWT_SECRET` and the rest: the Laravel app's tokens, accepted through a switch-over.
    pub laravel: Option<LaravelTokensConfig>,
}

/// tymon's tokens of the Laravel app being switched from (docs/migrating-from-laravel.md).
#[derive(Debug, Clone)]
pub struct LaravelTokensConfig {
    /// `LARAVEL_JWT_SECRET`: the old app's `JWT_SECRET` (HS256 only).
    pub secret: Secret,
    /// `LARAVEL_TOKENS_UNTIL`: after this instant none is accepted.
    pub until: chrono::DateTime<chrono::Utc>,
    /// `LARAVEL_USER_MODEL`: the class whose sha1 is tymon's `prv`.
    pub user_model: String,
    /// `LARAVEL_ISSUER_PREFIX`: when set, `iss` must start with it.
    pub issuer_prefix: Option<String>,
}

/// tymon/jwt-auth settings this server reads no value of, with why: `JWT_*` names in `names` (the
/// environment's) that are neither ours nor refused at start, for a warning each.
pub fn unread_jwt_settings(names: impl IntoIterator<Item = String>) -> Vec<String> {
    const REFUSED: [&str; 2] = ["JWT_PASSPHRASE", "JWT_BLACKLIST_ENABLED"];
    let mut unread: Vec<String> = names
        .into_iter()
        .filter(|name| name.starts_with("JWT_"))
        .filter(|name| !DEFAULTS.iter().any(|(known, _)| known == name))
        .filter(|name| !REFUSED.contains(&name.as_str()))
        .collect();
    unread.sort();
    unread
}

/// The `JWT_*` settings.
pub(super) fn jwt<F: Fn(&str) -> Option<String>>(
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
    if r.set("JWT_PASSPHRASE").is_some() {
        return Err(invalid(
            "JWT_PASSPHRASE",
            "encrypted private keys are not read: decrypt the key once (openssl pkey -in key.pem \
             -out plain.pem), keep the file private and remove JWT_PASSPHRASE, or use the key ring \
             (keys:generate)",
        ));
    }
    if r.set("JWT_BLACKLIST_ENABLED").is_some() && !r.flag("JWT_BLACKLIST_ENABLED")? {
        return Err(invalid(
            "JWT_BLACKLIST_ENABLED",
            "false is not honoured: the blacklist is how logout and refresh revoke tokens; \
             remove the line",
        ));
    }
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
        laravel: laravel(r)?,
    })
}

/// `LARAVEL_JWT_SECRET`, `LARAVEL_TOKENS_UNTIL` (required with it, at most JWT_REFRESH_TTL
/// ahead: no Laravel token could be refreshed later), `LARAVEL_USER_MODEL`,
/// `LARAVEL_ISSUER_PREFIX`.
fn laravel<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
) -> Result<Option<LaravelTokensConfig>, ConfigError> {
    let Some(secret) = r.set("LARAVEL_JWT_SECRET") else {
        return Ok(None);
    };
    let until = r.set("LARAVEL_TOKENS_UNTIL").ok_or_else(|| {
        invalid(
            "LARAVEL_TOKENS_UNTIL",
            "is needed with LARAVEL_JWT_SECRET: the instant (RFC 3339, e.g. 2027-01-31T00:00:00Z) after which the Laravel app's tokens stop working",
        )
    })?;
    let until = chrono::DateTime::parse_from_rfc3339(&until)
        .map_err(|_| {
            invalid(
                "LARAVEL_TOKENS_UNTIL",
                format!("{until:?} is not an RFC 3339 instant like 2027-01-31T00:00:00Z"),
            )
        })?
        .with_timezone(&chrono::Utc);
    let refresh_ttl = chrono::Duration::minutes(i64::from(r.positive("JWT_REFRESH_TTL")?));
    if until > chrono::Utc::now() + refresh_ttl {
        return Err(invalid(
            "LARAVEL_TOKENS_UNTIL",
            "is more than JWT_REFRESH_TTL ahead: no Laravel token can be refreshed that long, so none needs accepting",
        ));
    }
    Ok(Some(LaravelTokensConfig {
        secret: Secret::new(secret),
        until,
        // Not in DEFAULTS: a backslash in .env.example's line would need quotes that dotenvy and
        // the docs check read differently.
        user_model: r
            .set("LARAVEL_USER_MODEL")
            .unwrap_or_else(|| "App\\Models\\User".into()),
        issuer_prefix: r.set("LARAVEL_ISSUER_PREFIX"),
    }))
}

impl JwtConfig {
    /// What a start should warn about the switch-over's secret (each a log line).
    pub fn laravel_warnings(&self) -> Vec<&'static str> {
        let Some(laravel) = &self.laravel else {
            return vec![];
        };
        let mut warnings = vec![];
        let ours = self.secret.as_ref().map(Secret::expose);
        if ours == Some(laravel.secret.expose()) {
            warnings.push(
                "LARAVEL_JWT_SECRET equals JWT_SECRET: while the Laravel app still runs with it, it accepts this server's tokens (tymon does not require prv); give this server a new JWT_SECRET, or stop the Laravel app",
            );
        }
        if laravel.secret.expose().len() < 32 {
            warnings.push(
                "LARAVEL_JWT_SECRET is shorter than 32 bytes: a guessed secret forges a token of any imported user until LARAVEL_TOKENS_UNTIL; keep the deadline short",
            );
        }
        warnings
    }
}
