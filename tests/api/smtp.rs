//! The reset and verification flows against a real SMTP server (aiosmtpd, started by .ci/run:
//! `cargo test --test api -- --ignored smtp` with SMTP_TEST_PORT and SMTP_TEST_MAILDIR, the
//! server's Maildir). Ignored in a plain `cargo test`, which has no SMTP server.

use std::time::{Duration, Instant};

use jwt_auth_server::config::{Encryption, MailerConfig, SmtpConfig};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, link_in, query_value};

/// The messages the SMTP server stored for `to`, waiting until there are `count` (10 s at most).
fn received(to: &str, count: usize) -> Vec<String> {
    let maildir =
        std::env::var("SMTP_TEST_MAILDIR").expect("SMTP_TEST_MAILDIR: the SMTP server's Maildir");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mails: Vec<String> = std::fs::read_dir(std::path::Path::new(&maildir).join("new"))
            .map(|dir| {
                dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        let mine: Vec<String> = mails
            .into_iter()
            .filter(|m| m.contains(&format!("To: {to}")))
            .collect();
        if mine.len() >= count || Instant::now() > deadline {
            return mine;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

api_tests! {
    #[ignore = "needs an SMTP server: .ci/run starts aiosmtpd"]
    fn smtp_carries_the_verification_and_reset_mails_of_the_whole_flow(backend) {
        let port = std::env::var("SMTP_TEST_PORT").expect("SMTP_TEST_PORT: the SMTP server's port");
        let app = TestApp::spawn_with(backend, |c| {
            c.mail.mailer = MailerConfig::Smtp(SmtpConfig {
                host: "127.0.0.1".into(),
                port: port.parse().unwrap(),
                username: None,
                password: None,
                encryption: Encryption::None,
            });
        });
        let email = format!("smtp-{}@example.com", uuid::Uuid::now_v7().simple());

        app.register(&email, PASSWORD);
        let verify = link_in(&received(&email, 1), "http://localhost/api/email/verify/");
        let path = verify.strip_prefix("http://localhost").unwrap();
        let followed = app.get(path).header("Accept", "application/json").send();
        assert_eq!(followed.status, 200, "{}", followed.text);
        let token = app.login(&email, PASSWORD);
        assert!(app.get("/api/me").bearer(&token).send().json()["email_verified_at"].is_string());

        let forgot = app.post("/api/forgot-password").json(&json!({ "email": email })).send();
        assert_eq!(forgot.status, 200, "{}", forgot.text);
        let mails = received(&email, 2);
        assert_eq!(mails.len(), 2, "{mails:#?}");
        let reset_link = link_in(&mails, "http://spa.test/reset-password?");
        let reset = app
            .post("/api/reset-password")
            .json(&json!({
                "token": query_value(&reset_link, "token"), "email": email,
                "password": "an smtp delivered passphrase",
                "password_confirmation": "an smtp delivered passphrase",
            }))
            .send();
        assert_eq!(reset.status, 200, "{}", reset.text);
        app.get("/api/me").bearer(&token).send().assert_error(401, "token_blacklisted");
        let login = app.post("/api/login").json(&json!({ "email": email, "password": "an smtp delivered passphrase" })).send();
        assert_eq!(login.status, 200, "{}", login.text);
    }
}
