//! The `MAIL_*` settings and what mail links to (Laravel: config/mail.php and config/auth.php's
//! password broker): which mailer sends, as whom, where links point, and the verification rules.

use std::path::PathBuf;

use super::reader::Reader;
use super::{AppEnv, ConfigError, Secret, invalid};

/// Where each message written by the file mailer goes (one `.eml` file per message).
pub const MAIL_DIR: &str = "storage/mail";

/// Mail and the account e-mails (password reset, verification).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `MAIL_MAILER`: file (outside production by default), smtp, log (outside production) or none.
    pub mailer: MailerConfig,
    /// `MAIL_FROM_ADDRESS`.
    pub from_address: String,
    /// `MAIL_FROM_NAME`.
    pub from_name: String,
    /// `FRONTEND_URL` (unset: APP_URL): where the reset link and the post-verification redirect
    /// point.
    pub frontend_url: String,
    /// `MAIL_VERIFY`: a sign-up is sent a verification link.
    pub verify_on_register: bool,
    /// `MUST_VERIFY_EMAIL`: an unverified account cannot log in (403 after the password check).
    pub must_verify: bool,
    /// `PASSWORD_RESET_EXPIRE` in minutes: a reset token's lifetime.
    pub password_reset_expire_minutes: u32,
    /// Where each mail's `Message-ID` is made: APP_URL's host.
    pub message_id_domain: String,
}

/// How messages leave.
#[derive(Debug, Clone)]
pub enum MailerConfig {
    /// An `.eml` file per message in this directory ([`MAIL_DIR`]; tests use their own).
    File(PathBuf),
    Smtp(SmtpConfig),
    /// Written whole to the log (Laravel's `log` mailer; refused in production: links are secrets).
    Log,
    /// Dropped (logged at debug).
    None,
}

/// `MAIL_HOST`, `MAIL_PORT`, `MAIL_USERNAME`, `MAIL_PASSWORD`, `MAIL_ENCRYPTION`.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub encryption: Encryption,
}

/// `MAIL_ENCRYPTION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// Plain connection upgraded with STARTTLS, which must succeed.
    StartTls,
    /// TLS from the first byte (`tls`, or `ssl` as Laravel users write it).
    Tls,
    /// No TLS at all (a local relay, a test server).
    None,
}

pub(super) fn mail<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
    app_env: AppEnv,
    app_url: &str,
) -> Result<MailConfig, ConfigError> {
    let mailer = match r
        .text("MAIL_MAILER")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None if app_env == AppEnv::Production => {
            return Err(invalid(
                "MAIL_MAILER",
                "has no default in production: set smtp (with MAIL_HOST…), file or none",
            ));
        }
        Some("log") if app_env == AppEnv::Production => {
            return Err(invalid(
                "MAIL_MAILER",
                "log would write reset and verification links, which are secrets, into the log: \
                 set smtp (with MAIL_HOST…), file or none in production",
            ));
        }
        Some("log") => MailerConfig::Log,
        None | Some("file") => MailerConfig::File(PathBuf::from(MAIL_DIR)),
        Some("smtp") => MailerConfig::Smtp(smtp(r)?),
        Some("none") => MailerConfig::None,
        Some(other) => {
            return Err(invalid(
                "MAIL_MAILER",
                format!("{other:?} is not smtp, file, log or none"),
            ));
        }
    };
    let from_address = r.text("MAIL_FROM_ADDRESS").unwrap_or_default();
    if from_address.parse::<lettre::Address>().is_err() {
        return Err(invalid(
            "MAIL_FROM_ADDRESS",
            format!("{from_address:?} is not an email address"),
        ));
    }
    let frontend_url = r
        .text("FRONTEND_URL")
        .unwrap_or_else(|| app_url.to_owned())
        .trim_end_matches('/')
        .to_owned();
    // It starts every reset link and the verification redirect's Location: an absolute ASCII
    // http(s) URL with nothing after its path.
    let usable = url::Url::parse(&frontend_url).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.query().is_none()
            && url.fragment().is_none()
            && frontend_url.is_ascii()
            && !frontend_url.contains(char::is_whitespace)
    });
    if !usable {
        return Err(invalid(
            "FRONTEND_URL",
            format!(
                "{frontend_url:?} (or APP_URL, its default) is not an http(s) URL like https://app.example.com"
            ),
        ));
    }
    Ok(MailConfig {
        mailer,
        from_address,
        from_name: r.text("MAIL_FROM_NAME").unwrap_or_default(),
        frontend_url,
        verify_on_register: r.flag("MAIL_VERIFY")?,
        must_verify: r.flag("MUST_VERIFY_EMAIL")?,
        password_reset_expire_minutes: r.positive("PASSWORD_RESET_EXPIRE")?,
        message_id_domain: url::Url::parse(app_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into()),
    })
}

fn smtp<F: Fn(&str) -> Option<String>>(r: &Reader<F>) -> Result<SmtpConfig, ConfigError> {
    let encryption = match r
        .text("MAIL_ENCRYPTION")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        Some("starttls") => Encryption::StartTls,
        Some("tls" | "ssl") => Encryption::Tls,
        Some("none") => Encryption::None,
        other => {
            return Err(invalid(
                "MAIL_ENCRYPTION",
                format!("{other:?} is not starttls, tls (ssl) or none"),
            ));
        }
    };
    let host = r.text("MAIL_HOST").unwrap_or_default();
    if host.is_empty() {
        return Err(invalid("MAIL_HOST", "is needed with MAIL_MAILER=smtp"));
    }
    Ok(SmtpConfig {
        host,
        port: r.required("MAIL_PORT")?,
        username: r.set("MAIL_USERNAME"),
        password: r.set("MAIL_PASSWORD").map(Secret::new),
        encryption,
    })
}
