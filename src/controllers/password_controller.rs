//! Changing the password (Laravel Breeze's PasswordController@update): the current password, then
//! the new one; every other session ends, the caller's stays.

use std::time::Instant;

use actix_web::web;

use crate::audit;
use crate::auth::AuthUser;
use crate::db;
use crate::error::responses::{FormRequestErrors, GuardErrors, Throttled, Unavailable};
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::models::{Ended, Session, User};
use crate::requests::{ClientIp, UpdatePasswordRequest, Validated};
use crate::resources::StatusResource;
use crate::state::AppState;

/// `PUT /password`: 200 `{"status":"success"}`. A wrong `current_password` is a 422 on that field,
/// counted like a failed login (so it cannot be guessed faster than a login).
#[utoipa::path(put, path = "/api/password", tag = "auth", security(("bearer" = [])),
    request_body(content((UpdatePasswordRequest = "application/json"), (UpdatePasswordRequest = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "Changed; every other session ended", body = StatusResource),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn update(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    auth: AuthUser,
    Validated(input): Validated<UpdatePasswordRequest>,
) -> AppResult<StatusResource> {
    let user = auth.user;
    let reservation = state
        .limits
        .login_attempt(ip, &user.email, Instant::now())
        .await?;
    let current = input.current_password.into_text();
    if !state
        .passwords
        .verify(current, Some(user.password.clone()))
        .await?
    {
        let digest = audit::email_digest(&state.audit_key, &user.email);
        audit::login_failed(&digest, ip, "password_change");
        if reservation.failed(Instant::now()).await {
            audit::locked_out(&digest, ip);
        }
        return Err(AppError::validation(
            "current_password",
            "The password is incorrect.",
        ));
    }
    reservation.succeeded().await;
    let hash = state.passwords.hash(input.password.into_text()).await?;
    let (user_id, keep) = (user.id, auth.claims.sid);
    let ended = state
        .db
        .run(move |conn| {
            let now = db::now();
            conn.write_transaction(|conn| {
                User::update_password(conn, user_id, &hash, now)?;
                // Tokens from before sessions (no sid) are reached by time, as by logout?scope=all.
                User::revoke_tokens_issued_before(conn, user_id, now)?;
                Session::revoke_all_of_user(conn, user_id, keep, Ended::PasswordChanged, now)
            })
        })
        .await?;
    audit::password_changed(user_id, ended);
    Metrics::count_by(&state.metrics.sessions_ended, "password_change", ended);
    Ok(StatusResource {
        status: "success".into(),
    })
}
