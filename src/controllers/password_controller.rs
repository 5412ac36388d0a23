//! Changing the password (Laravel Breeze's PasswordController@update): the current password, then
//! the new one; every other session ends, and the caller's is renewed.

use actix_web::web;

use super::token_response::{TokenResponse, respond_with};
use crate::auth::AuthUser;
use crate::auth::sessions::{self, Device};
use crate::auth::two_factor::SecondFactor;
use crate::error::AppResult;
use crate::error::responses::{FormRequestErrors, GuardErrors, Throttled, Unavailable};
use crate::requests::{ClientIp, UpdatePasswordRequest, UserAgent, Validated};
use crate::resources::RenewedResource;
use crate::state::AppState;

/// `PUT /password`: 200 with the renewed session's token (in cookie mode, in the cookies too);
/// every earlier token of the caller, and every other session, stops working. A wrong
/// `current_password` is a 422 on that field, counted like a failed login (so it cannot be
/// guessed faster than a login), and a pending reset link stops working. While two-factor is on,
/// `code` (a current code or a recovery code) is required too.
#[utoipa::path(put, path = "/api/password", tag = "auth", security(("bearer" = [])),
    request_body(content((UpdatePasswordRequest = "application/json"), (UpdatePasswordRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "Changed; every other session ended, the caller's renewed (Cache-Control: no-store)", body = RenewedResource),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn update(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    auth: AuthUser,
    Validated(input): Validated<UpdatePasswordRequest>,
) -> AppResult<TokenResponse<RenewedResource>> {
    let device = Device { user_agent, ip };
    let (current, new) = (
        input.current_password.into_text(),
        input.password.into_text(),
    );
    let factor = input.code.into_option().map(SecondFactor::either);
    let claims = sessions::change_password(
        &state,
        &auth.user,
        &auth.claims,
        current,
        new,
        factor,
        &device,
    )
    .await?;
    respond_with(&state, &claims, |token| RenewedResource {
        status: "success".into(),
        revoked: None,
        token,
    })
}
