//! What every request can reach (Laravel: the service container's singletons; crates.io: src/app.rs):
//! the settings, the pool, the token keys, the password hasher and the rate limits. Built from a
//! pool that is already connected and migrated (`startup::connect` does that), so building it
//! touches no database.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::config::{Config, RateLimitStore};
use crate::crypto::{Cipher, Hmac};
use crate::db::{DatabaseUrl, DbPool};
use crate::hashing::PasswordHasher;
use crate::jwt::JwtService;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;

/// Everything a handler, guard or timer may need, shared by every worker.
pub struct AppState {
    pub config: Config,
    pub db: DbPool,
    pub jwt: JwtService,
    pub passwords: PasswordHasher,
    /// Keys the child of a rotated OAuth refresh token (derived from APP_KEY).
    pub refresh_token_key: Hmac,
    pub limits: RateLimits,
    /// Keys the email digests of audit lines (derived from APP_KEY).
    pub audit_key: Hmac,
    /// Binds the XSRF-TOKEN cookie to the refresh cookie in SPA cookie mode (derived from APP_KEY,
    /// so every instance computes the same value).
    pub xsrf_key: Hmac,
    /// Binds the `_token` field of a built-in page's form to what the page is for (derived from
    /// APP_KEY).
    pub form_key: Hmac,
    /// Set on SIGTERM/SIGINT: readiness answers 503 from then on.
    pub shutting_down: Arc<AtomicBool>,
    /// Counters and gauges served on METRICS_ADDR.
    pub metrics: Arc<Metrics>,
    /// The queue to the mail thread (MAIL_MAILER).
    pub mailer: Mailer,
    /// Signs and checks the email verification links (derived from APP_KEY).
    pub url_signer: Hmac,
    /// Seals the users' TOTP secrets at rest (derived from APP_KEY).
    pub two_factor_cipher: Cipher,
    /// Keys the stored hashes of recovery codes (derived from APP_KEY), so a copy of the
    /// database alone cannot test guesses.
    pub recovery_code_key: Hmac,
}

impl AppState {
    /// The state around `db`: token keys, bcrypt threads and rate limits from `config`.
    pub fn new(config: Config, db: DbPool) -> Result<Self, String> {
        let metrics = Arc::new(Metrics::new().map_err(|e| format!("metrics: {e}"))?);
        let db = db.observe_waits(metrics.db_wait.clone());
        Ok(Self {
            jwt: JwtService::new(&config.jwt),
            // From APP_KEY, which every instance has whatever the signing algorithm.
            refresh_token_key: config.app_key.subkey("oauth refresh token children"),
            passwords: PasswordHasher::new(
                config.bcrypt_rounds,
                config.hash_concurrency,
                config.hash_queue_timeout,
            )
            .map_err(|e| e.to_string())?
            .observe_waits(metrics.bcrypt_wait.clone()),
            limits: {
                let limits = RateLimits::new(&config.rate_limit, &config.app_key, Instant::now());
                let on_postgres = matches!(
                    DatabaseUrl::parse(&config.database_url),
                    Ok(DatabaseUrl::Postgres(_))
                );
                match config.rate_limit.store {
                    Some(RateLimitStore::Database) => limits.shared(db.clone()),
                    None if on_postgres => limits.shared(db.clone()),
                    _ => limits,
                }
            },
            audit_key: config.app_key.subkey("audit email digests"),
            xsrf_key: config.app_key.subkey("xsrf token of the refresh cookie"),
            form_key: config.app_key.subkey("csrf field of the built-in pages"),
            mailer: Mailer::new(&config.mail)?,
            url_signer: config.app_key.subkey("signed urls"),
            two_factor_cipher: config.app_key.cipher("two-factor secrets")?,
            recovery_code_key: config.app_key.subkey("two-factor recovery codes"),
            shutting_down: Arc::new(AtomicBool::new(false)),
            metrics,
            db,
            config,
        })
    }
}
