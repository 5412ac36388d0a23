//! JWT_SECRET and APP_KEY: the redacting wrapper, the development values the server keeps in
//! storage/ (mode 0600, refused when group or others can read them), and generation for
//! `jwt:secret` and `key:generate`.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{AppEnv, ConfigError, invalid};
use crate::crypto::AppKey;

/// Where a JWT secret generated for development is kept between starts.
pub const DEV_SECRET_FILE: &str = "storage/jwt-secret";
/// Where an APP_KEY generated for development is kept between starts.
pub const DEV_APP_KEY_FILE: &str = "storage/app-key";

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

/// JWT_SECRET, or outside production a generated one kept in storage/jwt-secret across restarts.
/// With an asymmetric JWT_ALGO (`required` false) it is optional and never generated: a secret that
/// is set (or a development one already kept) still verifies the HS256 tokens from before a switch.
pub(super) fn resolve_secret(
    value: Option<String>,
    app_env: AppEnv,
    required: bool,
) -> Result<Option<Secret>, ConfigError> {
    let secret = if required {
        set_or_development_file(
            ("JWT_SECRET", "jwt:secret"),
            value,
            app_env,
            DEV_SECRET_FILE,
            generate_secret,
        )?
    } else {
        let kept = (app_env != AppEnv::Production)
            .then(|| std::fs::read_to_string(DEV_SECRET_FILE).ok())
            .flatten()
            .map(|s| s.trim().to_owned());
        match value.or(kept) {
            Some(secret) => secret,
            None => return Ok(None),
        }
    };
    if secret.len() < 32 {
        return Err(invalid("JWT_SECRET", "must be at least 32 bytes long"));
    }
    Ok(Some(Secret(secret)))
}

/// APP_KEY, or outside production a generated one kept in storage/app-key across restarts.
pub(super) fn resolve_app_key(
    value: Option<String>,
    app_env: AppEnv,
) -> Result<AppKey, ConfigError> {
    let text = set_or_development_file(
        ("APP_KEY", "key:generate"),
        value,
        app_env,
        DEV_APP_KEY_FILE,
        generate_app_key,
    )?;
    AppKey::parse(&text).map_err(|why| invalid("APP_KEY", why))
}

/// The value of `var` as set; unset, an error in production (naming the `command` that makes
/// one), and elsewhere the value kept in `file`, generated there the first time.
fn set_or_development_file(
    (var, command): (&'static str, &str),
    value: Option<String>,
    app_env: AppEnv,
    file: &str,
    generate: fn() -> Result<String, String>,
) -> Result<String, ConfigError> {
    match value {
        Some(value) => Ok(value),
        None if app_env == AppEnv::Production => Err(invalid(
            var,
            format!("must be set in production (run `jwt-auth-server {command}`)"),
        )),
        None => dev_secret(Path::new(file), generate)
            .map_err(|e| invalid(var, format!("unset, and {file} is unusable: {e}"))),
    }
}

/// The value kept in `path`, or a new one from `generate` written there with mode 0600. A file that
/// group or others may read is refused: whoever can read it can mint tokens.
pub(super) fn dev_secret(
    path: &Path,
    generate: fn() -> Result<String, String>,
) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(existing) => {
            ensure_private(path)?;
            return Ok(existing.trim().to_owned());
        }
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let secret = generate().map_err(std::io::Error::other)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, secret.as_bytes())?;
    tracing::info!(file = %path.display(), "unset: generated a development value");
    Ok(secret)
}

/// Refuses a secret file that group or others may read.
fn ensure_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(std::io::Error::other(format!(
                "{} is readable by group or others (mode {mode:o}); run `chmod 600 {}`",
                path.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

/// 48 random bytes as base64url: 64 characters, well above HS256's 32-byte minimum.
pub fn generate_secret() -> Result<String, String> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A new APP_KEY in Laravel's `base64:` form.
pub fn generate_app_key() -> Result<String, String> {
    AppKey::generate().map(|key| key.to_laravel_string())
}
