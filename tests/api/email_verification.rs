//! Email verification: the signed link of a sign-up, following it, a new link on request, and
//! MUST_VERIFY_EMAIL at login.

use diesel::prelude::*;
use jwt_auth_server::auth::email_verification;
use jwt_auth_server::crypto::{AppKey, sha1_hex};
use jwt_auth_server::schema::users;
use serde_json::json;

use crate::helpers::{
    APP_KEY, ISSUER, PASSWORD, TestApp, TestResponse, link_in, links_in, query_value,
};

const LINK_PREFIX: &str = "http://localhost/api/email/verify/";

/// Registers `email`; its id and the verification link of the sign-up's mail.
fn register(app: &TestApp, email: &str) -> (String, String) {
    let user = app.register(email, PASSWORD);
    assert_eq!(user["email_verified_at"], json!(null));
    let mails = app.mails(1);
    assert!(mails[0].contains(&format!("To: {email}")), "{}", mails[0]);
    assert!(
        mails[0].contains("Subject: Verify Email Address"),
        "{}",
        mails[0]
    );
    (
        user["id"].as_str().unwrap().to_owned(),
        link_in(&mails, LINK_PREFIX),
    )
}

/// GET of a link, as the test client reaches it.
fn follow(app: &TestApp, link: &str, accept: Option<&str>) -> TestResponse {
    let path = link.strip_prefix(ISSUER).unwrap();
    match accept {
        Some(accept) => app.get(path).header("Accept", accept).send(),
        None => app.get(path).send(),
    }
}

fn verified_at(app: &TestApp, email: &str) -> Option<chrono::NaiveDateTime> {
    app.query(|conn| {
        users::table
            .filter(users::email.eq(email))
            .select(users::email_verified_at)
            .first(conn)
    })
}

api_tests! {
    fn a_sign_up_is_mailed_a_link_signed_over_its_id_and_the_sha1_of_its_address(backend) {
        let app = TestApp::spawn(backend);
        let (id, link) = register(&app, "ann@example.com");

        let path = link.split('?').next().unwrap();
        assert_eq!(path, format!("{LINK_PREFIX}{id}/{}", sha1_hex(b"ann@example.com")));
        let expires: i64 = query_value(&link, "expires").parse().unwrap();
        let in_an_hour =
            chrono::Utc::now().timestamp() + i64::from(email_verification::EXPIRE_MINUTES) * 60;
        assert!((in_an_hour - 5..=in_an_hour).contains(&expires), "{link}");
        let signature = query_value(&link, "signature");
        assert_eq!(signature.len(), 64);
        assert!(signature.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(verified_at(&app, "ann@example.com"), None);
    }

    fn following_the_link_verifies_once_and_redirects_to_the_frontend(backend) {
        let app = TestApp::spawn(backend);
        let (_, link) = register(&app, "ann@example.com");

        let response = follow(&app, &link, None);

        assert_eq!(response.status, 302, "{}", response.text);
        assert_eq!(response.header("location"), Some("http://spa.test/email-verified"));
        let first = verified_at(&app, "ann@example.com").expect("verified");
        let token = app.login("ann@example.com", PASSWORD);
        let me = app.get("/api/me").bearer(&token).send().json();
        assert!(me["email_verified_at"].as_str().unwrap().ends_with('Z'), "{me}");
        // Again: the same answer, and the first time stays.
        let again = follow(&app, &link, Some("application/json"));
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.json(), json!({ "status": "success", "message": "Your email address has been verified." }));
        assert_eq!(verified_at(&app, "ann@example.com"), Some(first));
    }

    fn a_tampered_or_expired_link_is_403_invalid_signature_and_verifies_nothing(backend) {
        let app = TestApp::spawn(backend);
        let (id, link) = register(&app, "ann@example.com");
        let signature = query_value(&link, "signature");
        let expires = query_value(&link, "expires");
        let path = format!("/api/email/verify/{id}/{}", sha1_hex(b"ann@example.com"));
        let flipped = format!("{}{}", &signature[..63], if signature.ends_with('0') { '1' } else { '0' });
        let later = expires.parse::<i64>().unwrap() + 3600;
        let other_user = format!("/api/email/verify/{}/{}", uuid::Uuid::now_v7(), sha1_hex(b"ann@example.com"));
        // Signed with the server's key an hour and a minute ago: it expired a minute ago.
        let signer = AppKey::parse(APP_KEY).unwrap().subkey("signed urls");
        let past = chrono::Utc::now().timestamp() - 60;
        let stale = format!("{path}?expires={past}");
        let stale = format!("{stale}&signature={}", signer.sign_hex(stale.as_bytes()));
        for tampered in [
            format!("{path}?expires={expires}&signature={flipped}"),
            format!("{path}?expires={later}&signature={signature}"),
            format!("{path}?expires={expires}"),
            format!("{other_user}?expires={expires}&signature={signature}"),
            format!("{path}?expires=soon&signature={signature}"),
            format!("{path}?expires=+{expires}&signature={signature}"),
            format!("{path}?expires={expires}&signature={}", signature.to_ascii_uppercase()),
            format!("/api/email/verify/{}/{}?expires={expires}&signature={signature}", id.replace('-', ""), sha1_hex(b"ann@example.com")),
            stale,
        ] {
            let response = app.get(&tampered).header("Accept", "application/json").send();
            response.assert_error(403, "invalid_signature");
        }
        assert_eq!(verified_at(&app, "ann@example.com"), None);
        assert_eq!(follow(&app, &link, None).status, 302, "the real link still works");
    }

    fn verification_notification_sends_a_new_link_until_the_address_is_verified(backend) {
        let app = TestApp::spawn(backend);
        let (_, link) = register(&app, "ann@example.com");
        let token = app.login("ann@example.com", PASSWORD);

        let response = app.post("/api/email/verification-notification").bearer(&token).send();
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.json(), json!({ "status": "success", "message": "A new verification link has been sent to your email address." }));
        // Within the same second it is the same link: the signature covers the path and expiry.
        let links = links_in(&app.mails(2), LINK_PREFIX);
        assert_eq!(links.len(), 2);
        let second = links[1].clone();
        assert_eq!(follow(&app, &second, None).status, 302);
        assert!(verified_at(&app, "ann@example.com").is_some());

        let already = app.post("/api/email/verification-notification").bearer(&token).send();
        assert_eq!(already.json(), json!({ "status": "success", "message": "Your email address is already verified." }));
        app.post("/api/email/verification-notification").send().assert_error(401, "token_not_provided");
        assert_eq!(follow(&app, &link, None).status, 302, "the first link works too");
        assert_eq!(app.mails(3).len(), 2, "no mail once verified");
    }

    fn must_verify_email_refuses_an_unverified_login_after_the_password_check(backend) {
        let app = TestApp::spawn_with(backend, |c| c.mail.must_verify = true);
        let (_, link) = register(&app, "ann@example.com");

        let wrong = app.post("/api/login").json(&json!({ "email": "ann@example.com", "password": "wrong password" })).send();
        wrong.assert_error(401, "invalid_credentials");
        let refused = app.post("/api/login").json(&json!({ "email": "ann@example.com", "password": PASSWORD })).send();
        refused.assert_error(403, "email_not_verified");
        assert_eq!(refused.json()["message"], "Your email address is not verified.");
        let sessions: i64 = app.query(|conn| jwt_auth_server::schema::sessions::table.count().get_result(conn));
        assert_eq!(sessions, 0);
        // The refusal mails a fresh link: a lost or expired first one never locks the owner out.
        assert_eq!(links_in(&app.mails(2), LINK_PREFIX).len(), 2);

        assert_eq!(follow(&app, &link, None).status, 302);
        assert_eq!(app.post("/api/login").json(&json!({ "email": "ann@example.com", "password": PASSWORD })).send().status, 200);
    }

    fn without_mail_verify_a_sign_up_gets_no_mail(backend) {
        let app = TestApp::spawn_with(backend, |c| c.mail.verify_on_register = false);
        app.register("ann@example.com", PASSWORD);
        app.post("/api/forgot-password").json(&json!({ "email": "ann@example.com" })).send();
        let mails = app.mails(1);
        assert_eq!(mails.len(), 1);
        assert!(mails[0].contains("Subject: Reset Password Notification"), "{}", mails[0]);
    }
}
