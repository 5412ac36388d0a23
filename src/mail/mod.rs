//! Outgoing mail (Laravel: the Mail facade, its mailers and a queued Mailable): MAIL_MAILER=file
//! writes each message as an `.eml` file, smtp sends it through lettre, log writes it to the log
//! (never in production), none drops it. Messages
//! go to one thread of their own, so a request never waits for a mail server, never holds a
//! transaction while one answers, and its answer never depends on whether the send worked.

mod smtp;

mod messages;

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};

pub use messages::{email_change, email_change_notice, password_reset, verify_email};
use smtp::{smtp_failure, smtp_transport};

use crate::config::{Encryption, MailConfig, MailerConfig};

/// Messages waiting for the mail thread at most; past that a message is dropped and logged
/// rather than held in memory without bound.
const QUEUE: usize = 1024;
/// The pauses before the second and third try of a message that failed to send.
const RETRY_AFTER: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(10)];
/// How long the mail thread waits before it works on a message: long enough for the request that
/// queued it to have answered on a machine that is not overloaded, so building and writing the
/// message do not lengthen that answer, and forgot-password takes as long for a registered
/// address as for an unknown one (docs/performance.md).
const SETTLE: Duration = Duration::from_millis(20);
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// One message: plain text, so a link stands on one line as written, and the same in HTML.
#[derive(Clone)]
pub struct Mail {
    /// What it is, for the log (`password_reset`, `verify_email`); never the address or the text.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The HTML alternative (a compiled-in template); empty: plain text alone.
    pub html: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mail({})", self.kind)
    }
}

/// The queue to the mail thread.
pub struct Mailer {
    queue: Option<SyncSender<Mail>>,
}

impl Mailer {
    /// Starts the mail thread for MAIL_MAILER (none: no thread, messages are dropped).
    pub fn new(config: &MailConfig) -> Result<Self, String> {
        let outbox = match &config.mailer {
            MailerConfig::None => return Ok(Self { queue: None }),
            MailerConfig::File(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create the mail folder {}: {e}", dir.display()))?;
                // Mail files hold live reset links.
                crate::storage::make_folder_private(dir);
                Outbox::File(FileTransport::new(dir), dir.clone())
            }
            MailerConfig::Smtp(smtp) => {
                if smtp.username.is_some() && smtp.encryption == Encryption::None {
                    tracing::warn!(
                        "MAIL_ENCRYPTION=none with MAIL_USERNAME: the SMTP password travels in clear text"
                    );
                }
                Outbox::Smtp(smtp_transport(smtp)?)
            }
            MailerConfig::Log => Outbox::Log,
        };
        let from = Mailbox::new(
            Some(config.from_name.clone()).filter(|n| !n.is_empty()),
            config
                .from_address
                .parse()
                .map_err(|e| format!("MAIL_FROM_ADDRESS: {e}"))?,
        );
        let (queue, inbox) = sync_channel(QUEUE);
        let domain = config.message_id_domain.clone();
        std::thread::Builder::new()
            .name("mail".into())
            .spawn(move || deliver_all(inbox, &outbox, &from, &domain))
            .map_err(|e| format!("cannot start the mail thread: {e}"))?;
        Ok(Self { queue: Some(queue) })
    }

    /// Hands `mail` to the mail thread and returns at once.
    pub fn send(&self, mail: Mail) {
        let Some(queue) = &self.queue else {
            tracing::debug!(kind = mail.kind, "mail dropped (MAIL_MAILER=none)");
            return;
        };
        match queue.try_send(mail) {
            Ok(()) => {}
            Err(TrySendError::Full(mail)) => {
                tracing::warn!(kind = mail.kind, "mail dropped: the queue is full")
            }
            Err(TrySendError::Disconnected(mail)) => {
                tracing::error!(
                    kind = mail.kind,
                    "mail dropped: the mail thread has stopped"
                )
            }
        }
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mailer")
    }
}

/// Where messages go.
enum Outbox {
    File(FileTransport, PathBuf),
    Smtp(SmtpTransport),
    Log,
}

/// The mail thread: each message in turn, tried up to three times; ends with the last sender.
fn deliver_all(inbox: Receiver<Mail>, outbox: &Outbox, from: &Mailbox, domain: &str) {
    for mail in inbox {
        std::thread::sleep(SETTLE);
        let message = match build(&mail, from, domain) {
            Ok(message) => message,
            Err(error) => {
                tracing::error!(kind = mail.kind, %error, "mail not built");
                continue;
            }
        };
        for attempt in 1..=RETRY_AFTER.len() + 1 {
            match deliver(outbox, &message) {
                // The file's name only: the link and its token stay in the file.
                Ok(Some(file)) => {
                    tracing::info!(kind = mail.kind, file = %file.display(), "mail written");
                    break;
                }
                Ok(None) => {
                    tracing::info!(kind = mail.kind, attempt, "mail sent");
                    break;
                }
                Err(Failure { why, permanent }) => {
                    tracing::warn!(kind = mail.kind, attempt, error = %why, permanent, "mail not sent");
                    // A refusal (5xx) will not change; the queue behind it should not wait.
                    match RETRY_AFTER.get(attempt - 1) {
                        Some(pause) if !permanent => std::thread::sleep(*pause),
                        _ => break,
                    }
                }
            }
        }
    }
}

/// The message: `multipart/alternative` of the text and the HTML (so `MIME-Version` too), with a
/// `Message-ID` at `domain` (APP_URL's host): spam filters score mail without either.
fn build(mail: &Mail, from: &Mailbox, domain: &str) -> Result<Message, String> {
    let to: Mailbox = mail.to.parse().map_err(|e| format!("recipient: {e}"))?;
    // 7bit as RFC 5322 allows it (ASCII, lines up to 998 bytes), not lettre's choice, which
    // folds lines of 76 with quoted-printable soft breaks and would cut a link in two.
    let seven_bit = mail.text.is_ascii() && mail.text.split("\r\n").all(|line| line.len() <= 998);
    if !seven_bit {
        return Err("the text is not 7-bit ASCII in lines of at most 998 bytes".into());
    }
    let text =
        SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(Body::dangerous_pre_encoded(
                mail.text.clone().into_bytes(),
                ContentTransferEncoding::SevenBit,
            ));
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!(
            "<{}@{domain}>",
            uuid::Uuid::now_v7().simple()
        )));
    let message = if mail.html.is_empty() {
        builder.singlepart(text)
    } else {
        builder.multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::html(mail.html.clone())),
        )
    };
    message.map_err(|e| e.to_string())
}

/// Why a message was not sent, fit for the log.
struct Failure {
    why: String,
    /// The server refused it for good (a 5xx reply): trying again cannot help.
    permanent: bool,
}

/// Sends `message`; the file it was written to, for the file mailer.
fn deliver(outbox: &Outbox, message: &Message) -> Result<Option<PathBuf>, Failure> {
    match outbox {
        Outbox::File(transport, dir) => {
            let id = transport.send(message).map_err(|e| Failure {
                why: e.to_string(),
                permanent: false,
            })?;
            Ok(Some(dir.join(format!("{id}.eml"))))
        }
        Outbox::Log => {
            // Development only (config refuses it in production): the whole message, link included.
            let text = String::from_utf8_lossy(&message.formatted()).into_owned();
            tracing::info!(target: "mail", message = %text, "mail (MAIL_MAILER=log)");
            Ok(None)
        }
        Outbox::Smtp(transport) => transport.send(message).map(|_| None).map_err(|e| Failure {
            why: smtp_failure(&e),
            permanent: e.is_permanent(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SmtpConfig;

    fn smtp(encryption: Encryption) -> SmtpConfig {
        SmtpConfig {
            host: "mail.example.com".into(),
            port: 587,
            username: Some("postmaster".into()),
            password: Some(crate::config::Secret::new("mail-password-value")),
            encryption,
        }
    }

    #[test]
    fn every_encryption_builds_its_transport_without_touching_the_network() {
        // rustls needs its crypto provider (aws-lc-rs) when the TLS settings are made: a start
        // with MAIL_ENCRYPTION=starttls or tls would fail here if it were missing.
        for encryption in [Encryption::StartTls, Encryption::Tls, Encryption::None] {
            assert!(smtp_transport(&smtp(encryption)).is_ok(), "{encryption:?}");
        }
    }

    #[test]
    fn a_link_longer_than_76_characters_stays_on_its_line() {
        let from: Mailbox = "hello@example.com".parse().unwrap();
        let link = format!(
            "https://app.example.com/reset-password?token={}&email=ann%40example.com",
            "x".repeat(43)
        );
        let message = build(
            &password_reset("ann@example.com", &link, 60),
            &from,
            "auth.example.com",
        )
        .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("Content-Transfer-Encoding: 7bit"), "{text}");
        assert!(text.lines().any(|line| line == link), "{text}");
        assert!(text.contains("MIME-Version: 1.0"), "{text}");
        assert!(
            text.contains("multipart/alternative") && text.contains("text/html"),
            "{text}"
        );
        let id = text
            .lines()
            .find(|l| l.starts_with("Message-ID: <"))
            .unwrap_or_default();
        assert!(id.ends_with("@auth.example.com>"), "{text}");
        let non_ascii = Mail {
            text: "caf\u{e9}\r\n".into(),
            ..password_reset("ann@example.com", &link, 60)
        };
        assert!(build(&non_ascii, &from, "auth.example.com").is_err());
    }
}
