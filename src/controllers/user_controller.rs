//! The account itself (Fortify's `UpdateUserProfileInformation` and Jetstream's "delete account"):
//! the name, deleting the account with every row of it, and a copy of everything kept about it.

use actix_web::{HttpResponse, web};

use crate::auth::AuthUser;
use crate::auth::sessions::{self, AccountChange, Device};
use crate::auth::two_factor::SecondFactor;
use crate::db;
use crate::error::responses::{FormRequestErrors, GuardErrors, Throttled, Unavailable};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::models::{Consent, Session, User};
use crate::requests::{
    ClientIp, TwoFactorStepUpRequest, UpdateProfileRequest, UserAgent, Validated,
};
use crate::resources::{
    AccountExport, ConsentResource, SessionResource, TwoFactorStatus, UserResource, rfc3339,
};
use crate::state::AppState;

/// `PUT /user/profile-information`: a new `name`; 200 USER.
#[utoipa::path(put, path = "/api/user/profile-information", tag = "account", security(("bearer" = [])),
    request_body(content((UpdateProfileRequest = "application/json"), (UpdateProfileRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "The user (Cache-Control: no-store)", body = UserResource),
    FormRequestErrors, GuardErrors, Unavailable,
))]
pub async fn update_profile(
    state: web::Data<AppState>,
    auth: AuthUser,
    Validated(input): Validated<UpdateProfileRequest>,
) -> AppResult<UserResource> {
    auth.claims.first_party_only()?;
    let user_id = auth.user.id;
    let name = AccountChange::Name(input.name.into_text());
    state
        .db
        .run(move |conn| sessions::change_account(conn, user_id, &[name], false, db::now()))
        .await?
        .ok_or(AppError::Unauthenticated(
            crate::error::AuthFailure::UserNotFound,
        ))?;
    let user = state
        .db
        .read(move |conn| User::find(conn, user_id))
        .await?
        .ok_or(AppError::Unauthenticated(
            crate::error::AuthFailure::UserNotFound,
        ))?;
    Ok(UserResource::from(user))
}

/// `DELETE /user`: with `current_password` (and `code` or `recovery_code` while two-factor is
/// on), the account ends — every session and OAuth token, and every row of it, in one
/// transaction; the email may sign up again. 204.
#[utoipa::path(delete, path = "/api/user", tag = "account", security(("bearer" = [])),
    request_body(content((TwoFactorStepUpRequest = "application/json"), (TwoFactorStepUpRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 204, description = "The account is deleted"),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn destroy(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    auth: AuthUser,
    Validated(input): Validated<TwoFactorStepUpRequest>,
) -> AppResult<HttpResponse> {
    let device = Device { user_agent, ip };
    let factor =
        SecondFactor::from_fields(input.code.into_option(), input.recovery_code.into_option());
    let password = input.current_password.into_option();
    sessions::delete_own_account(&state, &auth.user, &auth.claims, password, factor, &device)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /user/export`: the profile, roles, custom claims, sessions (with IP and user agent), the
/// OAuth clients allowed and two-factor's status, as a JSON attachment.
#[utoipa::path(get, path = "/api/user/export", tag = "account", security(("bearer" = [])),
    responses(
    (status = 200, description = "A JSON attachment, account.json (Cache-Control: no-store)", body = AccountExport),
    (status = 401, description = "token_invalid: an OAuth client's token", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn export(state: web::Data<AppState>, auth: AuthUser) -> AppResult<AccountExport> {
    auth.claims.first_party_only()?;
    let user_id = auth.user.id;
    let (sessions, consents) = state
        .db
        .read(move |conn| {
            let sessions = Session::active_of_user(conn, user_id, db::now())?;
            let consents = Consent::of_user(conn, user_id)?;
            Ok((sessions, consents))
        })
        .await?;
    let current = auth.claims.sid;
    let user = auth.user;
    Ok(AccountExport {
        claims: user.custom_claims().into_map(),
        sessions: sessions
            .into_iter()
            .map(|session| SessionResource::new(session, current))
            .collect(),
        consents: consents
            .into_iter()
            .map(|(consent, name)| ConsentResource::new(consent, name))
            .collect(),
        two_factor: TwoFactorStatus {
            enabled: user.has_two_factor(),
            confirmed_at: user.two_factor_confirmed_at.map(rfc3339),
        },
        exported_at: rfc3339(db::now()),
        user: UserResource::from(user),
    })
}
