//! JWT_SECRET: the redacting wrapper, the development secret kept in storage/jwt-secret, and
//! generation for `jwt:secret`.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{AppEnv, ConfigError, invalid};

/// Where a secret generated for development is kept between starts.
pub const DEV_SECRET_FILE: &str = "storage/jwt-secret";

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
pub(super) fn resolve_secret(
    value: Option<String>,
    app_env: AppEnv,
) -> Result<Secret, ConfigError> {
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

pub(super) fn dev_secret(path: &Path) -> std::io::Result<String> {
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
