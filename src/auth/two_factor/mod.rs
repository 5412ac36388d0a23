//! Two-factor sign-in's codes (Laravel Fortify's `TwoFactorAuthenticationProvider` and
//! `RecoveryCode`): RFC 6238 TOTP (SHA-1, 6 digits, 30 s, one step of clock skew either way) over
//! a 160-bit secret sealed under APP_KEY, and recovery codes kept as keyed hashes. Checking a code
//! and using it up are one transaction ([`prove`]): a code is accepted once.

mod enrolment;
mod proof;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use totp_rs::{Algorithm, Secret, Totp};

pub use enrolment::{Enrolment, confirm, enable, not_enabled, regenerate_recovery_codes};
pub use proof::prove;

use crate::crypto::{Cipher, Hmac};
use crate::db::Id;
use crate::error::{AppError, AppResult};
use crate::models::RecoveryCode;

/// Bytes of a TOTP secret: 160 bits, RFC 4226 §4's recommendation.
pub const SECRET_BYTES: usize = 20;
/// Seconds per time step.
pub const STEP_SECONDS: u64 = 30;
/// Recovery codes per user.
pub const RECOVERY_CODES: usize = 8;
/// The recovery codes' alphabet: no 0/O or 1/I to mistake for each other; 32 symbols, so five
/// bits of a random byte give one symbol without bias.
const RECOVERY_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Symbols per half of a recovery code (`XXXXX-XXXXX`: 50 bits).
const RECOVERY_HALF: usize = 5;

/// The answer to a wrong, reused or expired code (Fortify's words).
pub const INVALID_CODE: &str = "The provided two factor authentication code was invalid.";
/// The answer to a wrong or used recovery code (Fortify's words).
pub const INVALID_RECOVERY_CODE: &str = "The provided two factor recovery code was invalid.";

/// A second factor as a client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// A TOTP code (`code`).
    Code(String),
    /// A recovery code (`recovery_code`, or a `code`/`otp` that is not six digits).
    RecoveryCode(String),
}

impl SecondFactor {
    /// One field that may hold either (`otp`, `code`): six digits (spaces allowed) are a TOTP
    /// code, anything else a recovery code.
    pub fn either(text: String) -> Self {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Self::Code(digits)
        } else {
            Self::RecoveryCode(text)
        }
    }

    /// What a body's `code` and `recovery_code` fields hold: the recovery code when one was sent,
    /// else the code read by [`either`](Self::either).
    pub fn from_fields(code: Option<String>, recovery_code: Option<String>) -> Option<Self> {
        match (code, recovery_code) {
            (_, Some(recovery_code)) => Some(Self::RecoveryCode(recovery_code)),
            (Some(code), None) => Some(Self::either(code)),
            (None, None) => None,
        }
    }

    /// The field a refusal names, with its message.
    pub fn refusal(&self) -> AppError {
        match self {
            Self::Code(_) => AppError::validation("code", INVALID_CODE),
            Self::RecoveryCode(_) => AppError::validation("recovery_code", INVALID_RECOVERY_CODE),
        }
    }
}

/// The refusal of a step-up without its code.
pub fn code_required() -> AppError {
    AppError::validation("code", "The code field is required.")
}

/// A new random secret.
pub fn new_secret() -> AppResult<[u8; SECRET_BYTES]> {
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| AppError::Internal(e.to_string().into()))?;
    Ok(secret)
}

/// `secret` sealed under the two-factor key, as stored (base64).
pub fn seal(cipher: &Cipher, secret: &[u8]) -> AppResult<String> {
    Ok(STANDARD.encode(
        cipher
            .seal(secret)
            .map_err(|e| AppError::Internal(e.into()))?,
    ))
}

/// The secret [`seal`] stored; an error for anything else (another APP_KEY, altered data).
pub fn open(cipher: &Cipher, sealed: &str) -> AppResult<Vec<u8>> {
    let bytes = STANDARD
        .decode(sealed)
        .map_err(|e| AppError::Internal(e.into()))?;
    cipher
        .open(&bytes)
        .map_err(|e| AppError::Internal(format!("two-factor secret: {e}").into()))
}

/// The TOTP of `secret`, labelled `account` at `issuer` for authenticator apps.
fn totp(secret: &[u8], account: &str, issuer: &str) -> AppResult<Totp> {
    // The otpauth label is `issuer:account`: neither may hold a colon.
    let label = |text: &str| text.replace(':', " ");
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::from(secret.to_vec()))
        .with_account_name(label(account))
        .with_issuer(Some(label(issuer)))
        .build()
        .map_err(|e| AppError::Internal(format!("totp: {e}").into()))
}

/// The time step `code` matches for `secret` at `unix_time` (±1 step), if any.
pub fn matching_step(secret: &[u8], code: &str, unix_time: u64) -> Option<i64> {
    let totp = totp(secret, "user", "app").ok()?;
    totp.check(code, unix_time)
        .and_then(|step| i64::try_from(step).ok())
}

/// The current Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Eight new recovery codes (`XXXXX-XXXXX`), shown once.
pub fn new_recovery_codes() -> AppResult<Vec<String>> {
    let mut bytes = [0u8; RECOVERY_CODES * RECOVERY_HALF * 2];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
    Ok(bytes
        .chunks(RECOVERY_HALF * 2)
        .map(|chunk| {
            let symbol = |b: &u8| char::from(RECOVERY_ALPHABET[usize::from(b & 31)]);
            let (first, second) = chunk.split_at(RECOVERY_HALF);
            let first: String = first.iter().map(symbol).collect();
            let second: String = second.iter().map(symbol).collect();
            format!("{first}-{second}")
        })
        .collect())
}

/// A recovery code as it is compared: upper case, without the dash or spaces a person may type.
fn normalised_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// What the database keeps of a recovery code: its HMAC under the recovery-code key.
pub fn recovery_code_hash(key: &Hmac, code: &str) -> String {
    key.sign_hex(normalised_recovery_code(code).as_bytes())
}

/// The id of the code among `codes` that `presented` is, compared in constant time (every code is
/// compared, whichever matches).
pub fn matching_recovery_code(key: &Hmac, codes: &[RecoveryCode], presented: &str) -> Option<Id> {
    let presented = normalised_recovery_code(presented);
    codes.iter().fold(None, |found, code| {
        let matches = key.verify_hex(presented.as_bytes(), &code.code_hash);
        found.or(matches.then_some(code.id))
    })
}

/// What enrolment shows: the secret in base32, the otpauth URL, and that URL as an SVG QR code.
pub fn provisioning(
    secret: &[u8],
    account: &str,
    issuer: &str,
) -> AppResult<(String, String, String)> {
    let totp = totp(secret, account, issuer)?;
    let url = totp
        .to_url()
        .map_err(|e| AppError::Internal(format!("otpauth url: {e}").into()))?;
    let svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| AppError::Internal(format!("qr code: {e}").into()))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(192, 192)
        .build();
    Ok((totp.secret().to_base32(), url, svg))
}

#[cfg(test)]
mod tests;
