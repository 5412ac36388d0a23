//! MAIL_MAILER=smtp: lettre's SMTP client for MAIL_HOST…, and what of its failures a log line may
//! show.

use lettre::SmtpTransport;
use lettre::transport::smtp::authentication::Credentials;

use super::SMTP_TIMEOUT;
use crate::config::{Encryption, SmtpConfig};

/// The kind of an SMTP failure and the server's reply code, never the reply's text: servers echo
/// the recipient's address in it ("550 <ann@example.com>: Recipient address rejected").
pub(super) fn smtp_failure(error: &lettre::transport::smtp::Error) -> String {
    let kind = if error.is_permanent() {
        "refused"
    } else if error.is_transient() {
        "deferred"
    } else if error.is_timeout() {
        "timed out"
    } else if error.is_tls() {
        "TLS failed"
    } else {
        "connection failed"
    };
    match error.status() {
        Some(code) => format!("{kind} ({code})"),
        None => kind.to_owned(),
    }
}

/// lettre's SMTP client for MAIL_HOST…: STARTTLS that must succeed, TLS from the first byte, or
/// none; rustls with Mozilla's roots.
pub(super) fn smtp_transport(config: &SmtpConfig) -> Result<SmtpTransport, String> {
    let builder = match config.encryption {
        Encryption::StartTls => SmtpTransport::starttls_relay(&config.host),
        Encryption::Tls => SmtpTransport::relay(&config.host),
        Encryption::None => Ok(SmtpTransport::builder_dangerous(&config.host)),
    }
    .map_err(|e| format!("MAIL_HOST: {e}"))?;
    let mut builder = builder.port(config.port).timeout(Some(SMTP_TIMEOUT));
    if let Some(username) = &config.username {
        let password = config
            .password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(username.clone(), password));
    }
    Ok(builder.build())
}
