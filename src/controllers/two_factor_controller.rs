//! Two-factor sign-in (Laravel Fortify's `TwoFactorAuthenticationController`,
//! `ConfirmedTwoFactorAuthenticationController`, `RecoveryCodeController` and
//! `TwoFactorAuthenticatedSessionController`): turn it on, confirm it, new recovery codes, turn it
//! off, and answer the challenge of a login.

use actix_web::web;

use super::token_response::{TokenResponse, respond_with_token};
use crate::auth::AuthUser;
use crate::auth::sessions::{self, Device};
use crate::auth::two_factor::{self, SecondFactor};
use crate::error::responses::{CsrfErrors, FormRequestErrors, GuardErrors, Throttled, Unavailable};
use crate::error::{AppResult, ErrorBody};
use crate::requests::{
    ClientIp, ConfirmPasswordRequest, ConfirmTwoFactorRequest, TwoFactorChallengeRequest,
    TwoFactorStepUpRequest, UserAgent, Validated,
};
use crate::resources::{
    RecoveryCodesResource, RevokedResource, TokenResource, TwoFactorEnrolmentResource,
};
use crate::state::AppState;

/// `POST /user/two-factor-authentication`: after `current_password`, a new secret that is not in
/// use until a code confirms it; called again before that, it replaces the pending one.
#[utoipa::path(post, path = "/api/user/two-factor-authentication", tag = "two-factor", security(("bearer" = [])),
    request_body(content((ConfirmPasswordRequest = "application/json"), (ConfirmPasswordRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "The pending secret, its otpauth URL and QR code (Cache-Control: no-store)", body = TwoFactorEnrolmentResource),
    (status = 409, description = "two_factor_enabled: confirmed already (turn it off first)", body = ErrorBody),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn enable(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    auth: AuthUser,
    Validated(input): Validated<ConfirmPasswordRequest>,
) -> AppResult<TwoFactorEnrolmentResource> {
    auth.claims.first_party_only()?;
    sessions::confirm_password(
        &state,
        &auth.user,
        input.current_password(),
        ip,
        "two_factor",
    )
    .await?;
    let enrolment = two_factor::enable(&state, &auth.user).await?;
    Ok(TwoFactorEnrolmentResource {
        secret: enrolment.secret,
        otpauth_url: enrolment.otpauth_url,
        qr_svg: enrolment.qr_svg,
    })
}

/// `POST /user/confirmed-two-factor-authentication`: the first `code` of the pending secret turns
/// two-factor on; the eight recovery codes are shown this once.
#[utoipa::path(post, path = "/api/user/confirmed-two-factor-authentication", tag = "two-factor", security(("bearer" = [])),
    request_body(content((ConfirmTwoFactorRequest = "application/json"), (ConfirmTwoFactorRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "Two-factor is on; the recovery codes, shown once (Cache-Control: no-store)", body = RecoveryCodesResource),
    (status = 409, description = "two_factor_enabled: confirmed already; two_factor_not_enabled: no pending secret; two_factor_changed: replaced meanwhile", body = ErrorBody),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn confirm(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    auth: AuthUser,
    Validated(input): Validated<ConfirmTwoFactorRequest>,
) -> AppResult<RecoveryCodesResource> {
    auth.claims.first_party_only()?;
    let codes = two_factor::confirm(&state, &auth.user, input.code.into_text(), ip).await?;
    Ok(RecoveryCodesResource {
        recovery_codes: codes,
    })
}

/// `POST /user/two-factor-recovery-codes`: after `current_password` and a current `code` (or an
/// unused `recovery_code`), eight new recovery codes; the old ones stop working. There is no
/// `GET`: codes are shown once and stored hashed.
#[utoipa::path(post, path = "/api/user/two-factor-recovery-codes", tag = "two-factor", security(("bearer" = [])),
    request_body(content((TwoFactorStepUpRequest = "application/json"), (TwoFactorStepUpRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "The new recovery codes, shown once (Cache-Control: no-store)", body = RecoveryCodesResource),
    (status = 409, description = "two_factor_not_enabled", body = ErrorBody),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn regenerate_recovery_codes(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    auth: AuthUser,
    Validated(input): Validated<TwoFactorStepUpRequest>,
) -> AppResult<RecoveryCodesResource> {
    auth.claims.first_party_only()?;
    // Both fields are checked before the password, whose check counts like a login.
    if !auth.user.has_two_factor() {
        return Err(two_factor::not_enabled());
    }
    let factor =
        SecondFactor::from_fields(input.code.into_option(), input.recovery_code.into_option())
            .ok_or_else(two_factor::code_required)?;
    let password = input.current_password.into_option();
    sessions::confirm_password(&state, &auth.user, password, ip, "two_factor").await?;
    let codes = two_factor::regenerate_recovery_codes(&state, &auth.user, factor, ip).await?;
    Ok(RecoveryCodesResource {
        recovery_codes: codes,
    })
}

/// `DELETE /user/two-factor-authentication`: after `current_password` and a current `code` (or
/// `recovery_code`), two-factor is off and every other session ends; the caller's stays at its
/// `acr` until it ends.
#[utoipa::path(delete, path = "/api/user/two-factor-authentication", tag = "two-factor", security(("bearer" = [])),
    request_body(content((TwoFactorStepUpRequest = "application/json"), (TwoFactorStepUpRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "Two-factor is off; `revoked`: how many other sessions ended", body = RevokedResource),
    (status = 409, description = "two_factor_not_enabled", body = ErrorBody),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn disable(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    auth: AuthUser,
    Validated(input): Validated<TwoFactorStepUpRequest>,
) -> AppResult<RevokedResource> {
    let device = Device { user_agent, ip };
    let factor =
        SecondFactor::from_fields(input.code.into_option(), input.recovery_code.into_option());
    let password = input.current_password.into_option();
    let revoked =
        sessions::disable_two_factor(&state, &auth.user, &auth.claims, password, factor, &device)
            .await?;
    Ok(RevokedResource {
        status: "success".into(),
        revoked,
    })
}

/// `POST /two-factor-challenge`: the `challenge_token` of the login answer with a `code` or a
/// `recovery_code` starts the session: the token answer of a login (in cookie mode, the cookies).
#[utoipa::path(post, path = "/api/two-factor-challenge", tag = "two-factor",
    request_body(content((TwoFactorChallengeRequest = "application/json"), (TwoFactorChallengeRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "A bearer token whose `amr` and `acr` name both factors (Cache-Control: no-store); with REFRESH_COOKIE=true also the cookies", body = TokenResource),
    (status = 422, description = "validation_failed: `errors.code` or `errors.recovery_code` for a wrong, reused or expired code; `errors.challenge_token` for a challenge unknown, used, expired or from another network", body = ErrorBody),
    (status = 429, description = "too_many_requests: five wrong codes on this challenge, or ten for the user in 15 minutes (Retry-After)", body = ErrorBody),
    FormRequestErrors, CsrfErrors, Unavailable,
))]
pub async fn challenge(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    Validated(input): Validated<TwoFactorChallengeRequest>,
) -> AppResult<TokenResponse> {
    let device = Device { user_agent, ip };
    let factor =
        SecondFactor::from_fields(input.code.into_option(), input.recovery_code.into_option())
            .ok_or_else(two_factor::code_required)?;
    let token = input.challenge_token.into_text();
    let claims = sessions::complete_challenge(&state, &token, factor, &device).await?;
    respond_with_token(&state, &claims)
}
