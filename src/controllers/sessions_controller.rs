//! Where the user is signed in (Laravel Jetstream's "browser sessions"): list the active sessions,
//! end one, end them all, or end all others (which, like ending another one, needs the password).

use actix_web::{Either, HttpResponse, web};
use serde::Deserialize;

use super::token_response::{TokenResponse, respond_with};
use crate::auth::sessions::{self, Device};
use crate::auth::{AuthUser, SignOutToken};
use crate::db::{self, Id};
use crate::error::responses::{FormRequestErrors, GuardErrors, Throttled, Unavailable};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::models::Session;
use crate::requests::{ClientIp, ConfirmPasswordRequest, OptionalBody, UserAgent};
use crate::resources::{
    RenewedResource, RevokedResource, SessionResource, SessionsEnded, SessionsResource,
};
use crate::state::AppState;

/// `GET /sessions`: the user's active sessions, most recently seen first; `current` marks the
/// caller's.
#[utoipa::path(get, path = "/api/sessions", tag = "sessions", security(("bearer" = [])), responses(
    (status = 200, description = "The active sessions (Cache-Control: no-store)", body = SessionsResource),
    GuardErrors, Unavailable,
))]
pub async fn index(state: web::Data<AppState>, auth: AuthUser) -> AppResult<SessionsResource> {
    let user_id = auth.user.id;
    let sessions = state
        .db
        .run(move |conn| Session::active_of_user(conn, user_id, db::now()))
        .await?;
    let current = auth.claims.sid;
    Ok(SessionsResource {
        data: sessions
            .into_iter()
            .map(|s| SessionResource::new(s, current))
            .collect(),
    })
}

/// `DELETE /sessions/{id}`: 204, and every token of that session stops working at once. Another
/// session than the caller's needs `current_password`. An id that is malformed, unknown, another
/// user's or of a session that has ended is the same 404.
#[utoipa::path(delete, path = "/api/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "A session id from GET /api/sessions")),
    request_body(content((Option<ConfirmPasswordRequest> = "application/json"), (Option<ConfirmPasswordRequest> = "application/x-www-form-urlencoded")),
        description = "`current_password`, required unless the session is the caller's own"),
    responses(
    (status = 204, description = "The session ended"),
    (status = 404, description = "not_found: Session not found", body = ErrorBody),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn destroy(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    auth: AuthUser,
    id: web::Path<String>,
    OptionalBody(input): OptionalBody<ConfirmPasswordRequest>,
) -> AppResult<HttpResponse> {
    let not_found = || AppError::ModelNotFound("Session not found");
    let id = uuid::Uuid::parse_str(&id)
        .map(Id)
        .map_err(|_| not_found())?;
    let device = Device { user_agent, ip };
    let password = input.current_password();
    if !sessions::end_session(&state, &auth.user, &auth.claims, id, password, &device).await? {
        return Err(not_found());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The `?except=` of `DELETE /sessions`.
#[derive(Debug, Deserialize)]
pub struct DestroyAllQuery {
    except: Option<String>,
}

/// `DELETE /sessions`: every session of the user ends (`logout?scope=all`). With
/// `?except=current` and `current_password`: every other session ends, and the caller's is
/// renewed — its new token comes back (in cookie mode, in the cookies too) and no copy of the old
/// one works any more.
#[utoipa::path(delete, path = "/api/sessions", tag = "sessions", security(("bearer" = [])),
    params(("except" = Option<String>, Query, description = "`current`: keep the caller signed in, on a renewed session (needs `current_password`)")),
    request_body(content((Option<ConfirmPasswordRequest> = "application/json"), (Option<ConfirmPasswordRequest> = "application/x-www-form-urlencoded")),
        description = "`current_password`, required with `except=current`; no body at all otherwise"),
    responses(
    (status = 200, description = "How many sessions ended; with `except=current` also the renewed session's token (Cache-Control: no-store)", body = SessionsEnded),
    (status = 400, description = "Malformed query string", body = ErrorBody),
    FormRequestErrors, GuardErrors, Throttled, Unavailable,
))]
pub async fn destroy_all(
    state: web::Data<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(user_agent): UserAgent,
    auth: SignOutToken,
    query: web::Query<DestroyAllQuery>,
    OptionalBody(input): OptionalBody<ConfirmPasswordRequest>,
) -> AppResult<Either<RevokedResource, TokenResponse<RenewedResource>>> {
    let keep_current = match query.except.as_deref() {
        None | Some("") => false,
        Some("current") => true,
        Some(_) => {
            return Err(AppError::validation(
                "except",
                "The selected except is invalid.",
            ));
        }
    };
    if !keep_current {
        let revoked = sessions::end_all(&state, &auth.user, &auth.claims, auth.standing).await?;
        return Ok(Either::Left(RevokedResource {
            status: "success".into(),
            revoked,
        }));
    }
    let device = Device { user_agent, ip };
    let password = input.current_password();
    let (revoked, claims) = sessions::end_others(
        &state,
        &auth.user,
        &auth.claims,
        auth.standing,
        password,
        &device,
    )
    .await?;
    respond_with(&state, &claims, |token| RenewedResource {
        status: "success".into(),
        revoked: Some(revoked),
        token,
    })
    .map(Either::Right)
}
