//! The account e-mails (Laravel: the ResetPassword and VerifyEmail notifications), in plain
//! 7-bit text with each link alone on its line, and in HTML from compiled-in templates
//! (`templates/mail/`). Nothing the user typed goes into them but the address they are sent to.

use askama::Template;

use super::Mail;

/// `templates/mail/password_reset.html`.
#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct PasswordResetHtml<'a> {
    link: &'a str,
    expire_minutes: u32,
}

/// `templates/mail/verify_email.html`.
#[derive(Template)]
#[template(path = "mail/verify_email.html")]
struct VerifyEmailHtml<'a> {
    link: &'a str,
    expire_minutes: u32,
}

/// The reset link of forgot-password, valid `expire_minutes`.
pub fn password_reset(to: &str, link: &str, expire_minutes: u32) -> Mail {
    Mail {
        kind: "password_reset",
        to: to.to_owned(),
        subject: "Reset Password Notification".into(),
        text: format!(
            "You are receiving this email because we received a password reset request for your account.\r\n\
             \r\n\
             Reset your password:\r\n\
             {link}\r\n\
             \r\n\
             This password reset link will expire in {expire_minutes} minutes.\r\n\
             \r\n\
             If you did not request a password reset, no further action is required.\r\n"
        ),
        // A template of literals and two escaped values cannot fail to render; if it did, the
        // text part goes alone.
        html: PasswordResetHtml {
            link,
            expire_minutes,
        }
        .render()
        .unwrap_or_default(),
    }
}

/// The signed verification link of a sign-up or of verification-notification.
pub fn verify_email(to: &str, link: &str, expire_minutes: u32) -> Mail {
    Mail {
        kind: "verify_email",
        to: to.to_owned(),
        subject: "Verify Email Address".into(),
        text: format!(
            "Please click the link below to verify your email address.\r\n\
             \r\n\
             {link}\r\n\
             \r\n\
             This link will expire in {expire_minutes} minutes.\r\n\
             \r\n\
             If you did not create an account, no further action is required.\r\n"
        ),
        html: VerifyEmailHtml {
            link,
            expire_minutes,
        }
        .render()
        .unwrap_or_default(),
    }
}

/// `templates/mail/email_change.html`.
#[derive(Template)]
#[template(path = "mail/email_change.html")]
struct EmailChangeHtml<'a> {
    link: &'a str,
    expire_minutes: u32,
}

/// `templates/mail/email_change_notice.html`.
#[derive(Template)]
#[template(path = "mail/email_change_notice.html")]
struct EmailChangeNoticeHtml;

/// The signed link of an email change, to the new address.
pub fn email_change(to: &str, link: &str, expire_minutes: u32) -> Mail {
    Mail {
        kind: "email_change",
        to: to.to_owned(),
        subject: "Confirm Email Address".into(),
        text: format!(
            "Please click the link below to make this address your account's email address.\r\n\
             \r\n\
             {link}\r\n\
             \r\n\
             This link will expire in {expire_minutes} minutes.\r\n\
             \r\n\
             If you did not ask for this change, no further action is required: nothing changes.\r\n"
        ),
        html: EmailChangeHtml {
            link,
            expire_minutes,
        }
        .render()
        .unwrap_or_default(),
    }
}

/// The notice to the old address that a change was asked for: no link, nothing to click.
pub fn email_change_notice(to: &str) -> Mail {
    Mail {
        kind: "email_change_notice",
        to: to.to_owned(),
        subject: "Email Address Change Requested".into(),
        text: "A change of your account's email address was requested. It takes effect only \
               when the link sent to the new address is opened.\r\n\
               \r\n\
               If you did not ask for this, change your password now.\r\n"
            .into(),
        html: EmailChangeNoticeHtml.render().unwrap_or_default(),
    }
}
