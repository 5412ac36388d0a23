use super::*;

/// RFC 6238 Appendix B's SHA-1 secret.
const RFC_SECRET: &[u8] = b"12345678901234567890";

#[test]
fn the_rfc_6238_sha1_vectors_match_at_their_times_as_six_digit_codes() {
    // Appendix B gives eight digits; a six-digit code is the same value mod 10^6, its last six.
    let vectors = [
        (59_u64, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    for (time, eight) in vectors {
        let code = &eight[2..];
        let step = i64::try_from(time / STEP_SECONDS).unwrap();
        assert_eq!(
            matching_step(RFC_SECRET, code, time),
            Some(step),
            "at {time}"
        );
    }
}

#[test]
fn a_code_is_accepted_one_step_either_side_and_not_two() {
    let time = 1_111_111_109;
    let code = "081804";
    assert_eq!(matching_step(RFC_SECRET, code, time + 30), Some(37_037_036));
    assert_eq!(matching_step(RFC_SECRET, code, time - 30), Some(37_037_036));
    assert_eq!(matching_step(RFC_SECRET, code, time + 60), None);
    assert_eq!(matching_step(RFC_SECRET, code, time - 60), None);
    assert_eq!(matching_step(RFC_SECRET, "081805", time), None);
    assert_eq!(matching_step(RFC_SECRET, "81804", time), None);
    assert_eq!(matching_step(RFC_SECRET, "", time), None);
}

#[test]
fn recovery_codes_are_eight_unambiguous_codes_matched_however_they_are_typed() {
    let codes = new_recovery_codes().unwrap();
    assert_eq!(codes.len(), RECOVERY_CODES);
    for code in &codes {
        assert_eq!(code.len(), 11, "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || RECOVERY_ALPHABET.contains(&(c as u8))),
            "{code}"
        );
        assert!(!code.contains(['0', 'O', '1', 'I']), "{code}");
    }
    let key = Hmac::from_bytes(b"key");
    let stored: Vec<RecoveryCode> = codes
        .iter()
        .map(|code| RecoveryCode {
            id: Id::now_v7(),
            user_id: Id::now_v7(),
            code_hash: recovery_code_hash(&key, code),
            created_at: crate::db::now(),
            used_at: None,
        })
        .collect();
    let typed = format!(" {} ", codes[3].to_lowercase().replace('-', " "));
    assert_eq!(
        matching_recovery_code(&key, &stored, &typed),
        Some(stored[3].id)
    );
    assert_eq!(matching_recovery_code(&key, &stored, "AAAAA-AAAAA"), None);
    assert_eq!(
        matching_recovery_code(&Hmac::from_bytes(b"other"), &stored, &codes[3]),
        None
    );
}

#[test]
fn a_field_of_six_digits_is_a_code_and_anything_else_a_recovery_code() {
    assert_eq!(
        SecondFactor::either("123 456".into()),
        SecondFactor::Code("123456".into())
    );
    assert_eq!(
        SecondFactor::either("ABCDE-FGHJK".into()),
        SecondFactor::RecoveryCode("ABCDE-FGHJK".into())
    );
    assert_eq!(SecondFactor::from_fields(None, None), None);
    assert_eq!(
        SecondFactor::from_fields(Some("123456".into()), Some("ABCDE-FGHJK".into())),
        Some(SecondFactor::RecoveryCode("ABCDE-FGHJK".into()))
    );
}

#[test]
fn a_sealed_secret_opens_only_under_its_key_and_provisions_an_otpauth_url_and_svg() {
    let secret = new_secret().unwrap();
    let cipher = crate::crypto::AppKey::generate()
        .unwrap()
        .cipher("t")
        .unwrap();
    let sealed = seal(&cipher, &secret).unwrap();
    assert!(!sealed.contains(&Secret::from(secret.to_vec()).to_base32()));
    assert_eq!(open(&cipher, &sealed).unwrap(), secret.to_vec());
    let other = crate::crypto::AppKey::generate()
        .unwrap()
        .cipher("t")
        .unwrap();
    assert!(open(&other, &sealed).is_err());
    let (base32, url, svg) = provisioning(&secret, "ann:x@example.com", "My App").unwrap();
    assert_eq!(base32.len(), 32);
    assert!(
        url.starts_with("otpauth://totp/My%20App:ann%20x%40example.com?secret="),
        "{url}"
    );
    assert!(url.contains(&format!("secret={base32}")), "{url}");
    assert!(svg.contains("<svg"), "{svg}");
}
