//! Turning two-factor on (Fortify's `EnableTwoFactorAuthentication`,
//! `ConfirmTwoFactorAuthentication` and `GenerateNewRecoveryCodes`): a pending secret, confirmed
//! by a first code, then recovery codes shown once. Turning it off ends sessions, so it belongs to
//! the login's owner (`sessions::disable_two_factor`).

use std::net::IpAddr;
use std::time::Instant;

use super::{
    INVALID_CODE, SecondFactor, matching_step, new_recovery_codes, new_secret, open, prove,
    provisioning, recovery_code_hash, seal, unix_now,
};
use crate::audit::{self, AuthEvent};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::models::{RecoveryCode, User};
use crate::state::AppState;

/// What enrolment shows once: the secret for typing in, the otpauth URL, its QR code.
#[derive(Debug)]
pub struct Enrolment {
    /// The secret in base32 (RFC 4648, no padding).
    pub secret: String,
    pub otpauth_url: String,
    /// The otpauth URL as an SVG QR code.
    pub qr_svg: String,
}

/// The refusal of an action that needs two-factor off.
fn already_enabled() -> AppError {
    AppError::Conflict(
        "two_factor_enabled",
        "Two-factor authentication is already enabled.",
    )
}

/// The refusal of an action that needs two-factor on (or, to confirm, a pending secret).
pub fn not_enabled() -> AppError {
    AppError::Conflict(
        "two_factor_not_enabled",
        "Two-factor authentication is not enabled.",
    )
}

/// A new pending secret for `user` (whose password the caller confirmed), replacing a pending
/// one; 409 once two-factor is on.
pub async fn enable(state: &AppState, user: &User) -> AppResult<Enrolment> {
    if user.has_two_factor() {
        return Err(already_enabled());
    }
    let secret = new_secret()?;
    let sealed = seal(&state.two_factor_cipher, &secret)?;
    let user_id = user.id;
    let stored = state
        .db
        .run(move |conn| User::set_pending_two_factor(conn, user_id, &sealed, db::now()))
        .await?;
    if !stored {
        return Err(already_enabled());
    }
    let (secret, otpauth_url, qr_svg) = provisioning(&secret, &user.email, &state.config.app_name)?;
    Ok(Enrolment {
        secret,
        otpauth_url,
        qr_svg,
    })
}

/// Turns two-factor on with the first `code` of the pending secret: the code's step counts as
/// used, and the eight recovery codes are made (returned, shown once). A wrong code is a 422 on
/// `code` and counts against the user's budget of wrong codes.
pub async fn confirm(
    state: &AppState,
    user: &User,
    code: String,
    ip: Option<IpAddr>,
) -> AppResult<Vec<String>> {
    if user.has_two_factor() {
        return Err(already_enabled());
    }
    let Some(sealed) = user.two_factor_secret.clone() else {
        return Err(not_enabled());
    };
    let reservation = state
        .limits
        .two_factor_attempt(&user.id.to_string(), Instant::now())
        .await?;
    let secret = open(&state.two_factor_cipher, &sealed)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = matching_step(&secret, &code, unix_now()) else {
        reservation.failed();
        let failed = AuthEvent::TwoFactorFailed {
            user_id: user.id,
            ip,
            via: "two_factor_confirm",
        };
        audit::record(&state.metrics, &failed);
        return Err(AppError::validation("code", INVALID_CODE));
    };
    let (codes, hashes) = recovery_codes(state)?;
    let user_id = user.id;
    let confirmed = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                let now = db::now();
                if !User::confirm_two_factor(conn, user_id, &sealed, step, now)? {
                    return Ok(false);
                }
                RecoveryCode::replace_all(conn, user_id, &hashes, now)?;
                Ok(true)
            })
        })
        .await?;
    reservation.succeeded().await;
    if !confirmed {
        // Another request confirmed or replaced the secret meanwhile.
        return Err(AppError::Conflict(
            "two_factor_changed",
            "Two-factor authentication changed meanwhile; start again.",
        ));
    }
    audit::record(&state.metrics, &AuthEvent::TwoFactorEnabled { user_id });
    Ok(codes)
}

/// Eight new recovery codes, with what the database keeps of them.
fn recovery_codes(state: &AppState) -> AppResult<(Vec<String>, Vec<String>)> {
    let codes = new_recovery_codes()?;
    let hashes = codes
        .iter()
        .map(|code| recovery_code_hash(&state.recovery_code_key, code))
        .collect();
    Ok((codes, hashes))
}

/// Eight new recovery codes for `user` (whose password the caller confirmed), after a current
/// code or an unused recovery code (`factor`): the old ones stop working in the same transaction.
/// A session that never proved the second factor (one from before two-factor was on) cannot mint
/// codes with the password alone. 409 while two-factor is off.
pub async fn regenerate_recovery_codes(
    state: &AppState,
    user: &User,
    factor: SecondFactor,
    ip: Option<IpAddr>,
) -> AppResult<Vec<String>> {
    if !user.has_two_factor() {
        return Err(not_enabled());
    }
    let (codes, hashes) = recovery_codes(state)?;
    let user_id = user.id;
    prove(
        state,
        user,
        factor,
        ip,
        "recovery_codes",
        move |conn, _, now| RecoveryCode::replace_all(conn, user_id, &hashes, now).map(Ok),
    )
    .await?;
    audit::record(
        &state.metrics,
        &AuthEvent::RecoveryCodesRegenerated { user_id },
    );
    Ok(codes)
}
