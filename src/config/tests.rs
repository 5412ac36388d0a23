//! Config::from_lookup against the documented defaults and errors.

use super::secret::dev_secret;
use super::*;
use std::collections::HashMap;

pub(super) const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// The settings `vars`, plus a fixed APP_KEY unless `vars` names one ("" counts as unset), so that
/// no test writes storage/app-key.
pub(super) fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.entry("APP_KEY".into())
        .or_insert_with(|| "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into());
    Config::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn defaults_match_the_documentation() {
    let c = config(&[("JWT_SECRET", SECRET)]).unwrap();
    assert_eq!(
        (c.host.as_str(), c.port, c.app_env),
        ("127.0.0.1", 8000, AppEnv::Local)
    );
    assert_eq!(c.database_url, "storage/database.sqlite");
    assert_eq!((c.db_pool_size, c.db_timeout), (10, Duration::from_secs(5)));
    assert_eq!((c.jwt.ttl_minutes, c.jwt.refresh_ttl_minutes), (60, 20160));
    assert_eq!(
        (c.jwt.leeway_seconds, c.jwt.blacklist_grace_seconds),
        (0, 0)
    );
    assert_eq!(c.jwt.issuer, "http://localhost:8000");
    assert_eq!(c.bcrypt_rounds, 12);
    assert!(c.cors_allowed_origins.is_empty());
    assert!(!c.spa_demo);
    assert_eq!(
        (
            c.oauth.refresh_ttl_minutes,
            c.oauth.refresh_idle_ttl_minutes
        ),
        (43200, 20160)
    );
    assert_eq!(c.oauth.refresh_reuse_interval_seconds, 0);
    let r = &c.rate_limit;
    assert!(r.enabled && r.trusted_proxies.is_empty());
    assert_eq!(
        (r.login_per_minute, r.login_per_hour, r.login_ip_per_minute),
        (5, 100, 30)
    );
    assert_eq!(
        (r.register_ip_per_hour, r.refresh_ip_per_5_minutes),
        (10, 150)
    );
    assert_eq!(c.hash_queue_timeout, Duration::from_secs(10));
    assert!(c.hash_concurrency >= 1);
}

#[test]
fn a_bad_value_names_its_variable() {
    let error = config(&[("JWT_SECRET", SECRET), ("JWT_TTL", "abc")]).unwrap_err();
    assert_eq!(error.var, "JWT_TTL");
    assert!(error.to_string().starts_with("JWT_TTL: "), "{error}");
}

#[test]
fn a_short_secret_is_refused_without_showing_it() {
    let error = config(&[("JWT_SECRET", "too-short-secret")]).unwrap_err();
    assert_eq!(error.var, "JWT_SECRET");
    assert!(!error.to_string().contains("too-short-secret"));
}

#[test]
fn production_requires_a_secret() {
    let error = config(&[("APP_ENV", "production")]).unwrap_err();
    assert_eq!(error.var, "JWT_SECRET");
}

#[test]
fn low_bcrypt_rounds_need_the_testing_environment() {
    assert_eq!(
        config(&[("JWT_SECRET", SECRET), ("BCRYPT_ROUNDS", "4")])
            .unwrap_err()
            .var,
        "BCRYPT_ROUNDS"
    );
    let c = config(&[
        ("JWT_SECRET", SECRET),
        ("BCRYPT_ROUNDS", "4"),
        ("APP_ENV", "testing"),
    ])
    .unwrap();
    assert_eq!(c.bcrypt_rounds, 4);
}

#[test]
fn debug_output_redacts_the_secret() {
    let c = config(&[("JWT_SECRET", SECRET)]).unwrap();
    assert!(!format!("{c:?}").contains(SECRET));
}

#[test]
fn cors_origins_are_a_comma_separated_list() {
    let c = config(&[
        ("JWT_SECRET", SECRET),
        ("CORS_ALLOWED_ORIGINS", "http://a.test, http://b.test"),
    ])
    .unwrap();
    assert_eq!(c.cors_allowed_origins, ["http://a.test", "http://b.test"]);
    let error = config(&[
        ("JWT_SECRET", SECRET),
        ("CORS_ALLOWED_ORIGINS", "http://a.test/"),
    ])
    .unwrap_err();
    assert_eq!(error.var, "CORS_ALLOWED_ORIGINS");
}

#[test]
fn generated_secrets_are_long_and_distinct() {
    let (a, b) = (generate_secret().unwrap(), generate_secret().unwrap());
    assert_eq!(a.len(), 64);
    assert_ne!(a, b);
}

#[test]
fn the_development_secret_is_kept_private_and_reused() {
    let dir = std::env::temp_dir().join(format!("jwt-secret-test-{}", uuid::Uuid::now_v7()));
    let path = dir.join("jwt-secret");
    let first = dev_secret(&path, generate_secret).unwrap();
    assert_eq!(dev_secret(&path, generate_secret).unwrap(), first);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_secret_file_that_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("jwt-secret-test-{}", uuid::Uuid::now_v7()));
    let path = dir.join("jwt-secret");
    dev_secret(&path, generate_secret).unwrap();
    for mode in [0o640, 0o604, 0o644] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let error = dev_secret(&path, generate_secret).unwrap_err().to_string();
        assert!(
            error.contains("readable by group or others") && error.contains("chmod 600"),
            "{error}"
        );
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert!(
        dev_secret(&path, generate_secret).is_ok(),
        "owner-only modes are fine"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn production_requires_an_app_key_and_reads_laravels_format() {
    let error = config(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET", SECRET),
        ("APP_KEY", ""),
    ])
    .unwrap_err();
    assert_eq!(error.var, "APP_KEY");
    let key = generate_app_key().unwrap();
    let bare = key.trim_start_matches("base64:").to_owned();
    for value in [key.as_str(), bare.as_str()] {
        let c = config(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", SECRET),
            ("APP_KEY", value),
            ("MAIL_MAILER", "none"),
        ]);
        assert!(c.is_ok(), "{value}");
    }
    let short = config(&[("JWT_SECRET", SECRET), ("APP_KEY", "base64:c2hvcnQ=")]).unwrap_err();
    assert_eq!(short.var, "APP_KEY");
    assert!(
        !format!(
            "{:?}",
            config(&[("JWT_SECRET", SECRET), ("APP_KEY", &key)]).unwrap()
        )
        .contains(&bare)
    );
}

#[test]
fn trusted_proxies_are_networks_or_bare_addresses() {
    let c = config(&[
        ("JWT_SECRET", SECRET),
        ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1, fd00::/8"),
    ])
    .unwrap();
    let shown: Vec<String> = c
        .rate_limit
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"]);
    for bad in ["10.0.0.0/33", "proxy", "10.0.0.0/8/8"] {
        let error = config(&[("JWT_SECRET", SECRET), ("TRUSTED_PROXIES", bad)]).unwrap_err();
        assert_eq!(error.var, "TRUSTED_PROXIES", "{bad}");
    }
}

#[test]
fn cookie_mode_is_off_by_default_and_its_defaults_are_the_safe_ones() {
    let off = config(&[("JWT_SECRET", SECRET)]).unwrap();
    assert_eq!(off.refresh_cookie, None);
    let on = config(&[("JWT_SECRET", SECRET), ("REFRESH_COOKIE", "true")]).unwrap();
    assert_eq!(
        on.refresh_cookie,
        Some(RefreshCookieConfig {
            name: "refresh_token".into(),
            path: "/api".into(),
            domain: None,
            same_site: SameSite::Strict,
            secure: true,
            allowed_origins: ["http://localhost:8000".to_owned()].into(),
        })
    );
}

#[test]
fn cookie_mode_refuses_a_wildcard_cors_origin_and_says_why() {
    let error = config(&[
        ("JWT_SECRET", SECRET),
        ("REFRESH_COOKIE", "true"),
        ("CORS_ALLOWED_ORIGINS", "https://app.test,*"),
    ])
    .unwrap_err();
    assert_eq!(error.var, "CORS_ALLOWED_ORIGINS");
    assert!(error.message.contains("REFRESH_COOKIE"), "{error}");
    // Without cookie mode `*` stays allowed.
    assert!(config(&[("JWT_SECRET", SECRET), ("CORS_ALLOWED_ORIGINS", "*")]).is_ok());
}

#[test]
fn cookie_settings_browsers_would_drop_are_refused() {
    let refused = |vars: &[(&str, &str)]| {
        let mut all = vec![("JWT_SECRET", SECRET), ("REFRESH_COOKIE", "true")];
        all.extend_from_slice(vars);
        config(&all).unwrap_err().var
    };
    assert_eq!(
        refused(&[
            ("REFRESH_COOKIE_SAMESITE", "none"),
            ("REFRESH_COOKIE_SECURE", "false")
        ]),
        "REFRESH_COOKIE_SAMESITE"
    );
    assert_eq!(
        refused(&[("REFRESH_COOKIE_SAMESITE", "sometimes")]),
        "REFRESH_COOKIE_SAMESITE"
    );
    assert_eq!(
        refused(&[("REFRESH_COOKIE_NAME", "__Host-jwt")]),
        "REFRESH_COOKIE_NAME"
    );
    assert_eq!(
        refused(&[("REFRESH_COOKIE_NAME", "bad name;")]),
        "REFRESH_COOKIE_NAME"
    );
    for path in ["api", "/auth", "/api/refresh"] {
        assert_eq!(
            refused(&[("REFRESH_COOKIE_PATH", path)]),
            "REFRESH_COOKIE_PATH"
        );
    }
    assert_eq!(
        refused(&[("REFRESH_COOKIE_DOMAIN", "a.test; Secure")]),
        "REFRESH_COOKIE_DOMAIN"
    );
    let host_only = config(&[
        ("JWT_SECRET", SECRET),
        ("REFRESH_COOKIE", "true"),
        ("REFRESH_COOKIE_NAME", "__Host-jwt"),
        ("REFRESH_COOKIE_PATH", "/"),
        ("REFRESH_COOKIE_SAMESITE", "Lax"),
    ])
    .unwrap();
    let cookie = host_only.refresh_cookie.unwrap();
    assert_eq!(
        (cookie.path.as_str(), cookie.same_site),
        ("/", SameSite::Lax)
    );
}

#[test]
fn production_needs_a_mailer_chosen_and_elsewhere_mail_goes_to_files() {
    let production = [
        ("APP_ENV", "production"),
        ("JWT_SECRET", SECRET),
        (
            "APP_KEY",
            "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ),
    ];
    let error = config(&production).unwrap_err();
    assert_eq!(error.var, "MAIL_MAILER");
    let local = config(&[("JWT_SECRET", SECRET)]).unwrap();
    assert!(
        matches!(&local.mail.mailer, MailerConfig::File(dir) if dir.as_path() == std::path::Path::new(MAIL_DIR))
    );
    assert_eq!(local.mail.frontend_url, "http://localhost:8000");
    assert!(local.mail.verify_on_register && !local.mail.must_verify);
    assert_eq!(local.mail.password_reset_expire_minutes, 60);
    assert_eq!(local.rate_limit.mail_per_hour, 5);
}

#[test]
fn smtp_reads_laravels_mail_settings_and_ssl_means_tls() {
    let smtp = |extra: &[(&'static str, &'static str)]| {
        let mut vars = vec![
            ("JWT_SECRET", SECRET),
            ("MAIL_MAILER", "smtp"),
            ("MAIL_HOST", "mail.example.com"),
            ("MAIL_USERNAME", "postmaster"),
            ("MAIL_PASSWORD", "mail-password-value"),
        ];
        vars.extend_from_slice(extra);
        config(&vars)
    };
    let c = smtp(&[]).unwrap();
    let MailerConfig::Smtp(settings) = &c.mail.mailer else {
        panic!("smtp")
    };
    assert_eq!(
        (settings.host.as_str(), settings.port),
        ("mail.example.com", 587)
    );
    assert_eq!(settings.encryption, Encryption::StartTls);
    assert!(!format!("{c:?}").contains("mail-password-value"));
    for (value, expected) in [
        ("tls", Encryption::Tls),
        ("SSL", Encryption::Tls),
        ("none", Encryption::None),
    ] {
        let c = smtp(&[("MAIL_ENCRYPTION", value)]).unwrap();
        assert!(
            matches!(&c.mail.mailer, MailerConfig::Smtp(s) if s.encryption == expected),
            "{value}"
        );
    }
    assert_eq!(
        smtp(&[("MAIL_ENCRYPTION", "maybe")]).unwrap_err().var,
        "MAIL_ENCRYPTION"
    );
    assert_eq!(
        smtp(&[("MAIL_FROM_ADDRESS", "not an address")])
            .unwrap_err()
            .var,
        "MAIL_FROM_ADDRESS"
    );
    assert_eq!(
        config(&[("JWT_SECRET", SECRET), ("MAIL_MAILER", "pigeon")])
            .unwrap_err()
            .var,
        "MAIL_MAILER"
    );
    for bad in [
        "app.example.com",
        "ftp://app.example.com",
        "https://app.example.com/?a=b",
        "https://äpp.example.com",
    ] {
        let error = config(&[("JWT_SECRET", SECRET), ("FRONTEND_URL", bad)]).unwrap_err();
        assert_eq!(error.var, "FRONTEND_URL", "{bad}");
    }
    let frontend = config(&[
        ("JWT_SECRET", SECRET),
        ("FRONTEND_URL", "https://app.example.com/"),
    ])
    .unwrap();
    assert_eq!(frontend.mail.frontend_url, "https://app.example.com");
}
