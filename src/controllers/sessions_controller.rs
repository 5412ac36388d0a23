//! Where the user is signed in (Laravel Jetstream's "browser sessions"): list the active sessions,
//! end one, or end all but the current one.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::audit;
use crate::auth::AuthUser;
use crate::db::{self, Id};
use crate::error::responses::{GuardErrors, Unavailable};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::metrics::Metrics;
use crate::models::{Ended, Session, User};
use crate::resources::{RevokedResource, SessionResource, SessionsResource};
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

/// `DELETE /sessions/{id}`: 204, and every token of that session stops working at once. An id
/// that is malformed, unknown, another user's or of a session that has ended is the same 404.
#[utoipa::path(delete, path = "/api/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "A session id from GET /api/sessions")),
    responses(
    (status = 204, description = "The session ended"),
    (status = 404, description = "not_found: Session not found", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn destroy(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let not_found = || AppError::ModelNotFound("Session not found");
    let id = uuid::Uuid::parse_str(&id)
        .map(Id)
        .map_err(|_| not_found())?;
    let user_id = auth.user.id;
    let ended = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                Session::revoke_of_user(conn, id, user_id, Ended::Deleted, db::now())
            })
        })
        .await?;
    if !ended {
        return Err(not_found());
    }
    audit::sessions_ended(user_id, 1);
    Metrics::count(&state.metrics.sessions_ended, "sessions_list");
    Ok(HttpResponse::NoContent().finish())
}

/// The `?except=` of `DELETE /sessions`.
#[derive(Debug, Deserialize)]
pub struct DestroyAllQuery {
    except: Option<String>,
}

/// `DELETE /sessions[?except=current]`: every session of the user ends, or every one but the
/// caller's. Without `except` it is `logout?scope=all`.
#[utoipa::path(delete, path = "/api/sessions", tag = "sessions", security(("bearer" = [])),
    params(("except" = Option<String>, Query, description = "`current`: keep the caller's session")),
    responses(
    (status = 200, description = "How many sessions ended", body = RevokedResource),
    (status = 400, description = "Malformed query string", body = ErrorBody),
    (status = 422, description = "An `except` other than `current`", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn destroy_all(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<DestroyAllQuery>,
) -> AppResult<RevokedResource> {
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
    let user_id = auth.user.id;
    let except = auth.claims.sid.filter(|_| keep_current);
    let revoked = state
        .db
        .run(move |conn| {
            let now = db::now();
            conn.write_transaction(|conn| {
                if keep_current {
                    Session::revoke_all_of_user(conn, user_id, except, Ended::Deleted, now)
                } else {
                    User::revoke_tokens_issued_before(conn, user_id, now)?;
                    Session::revoke_all_of_user(conn, user_id, None, Ended::LogoutEverywhere, now)
                }
            })
        })
        .await?;
    audit::sessions_ended(user_id, revoked);
    Metrics::count_by(&state.metrics.sessions_ended, "sessions_list", revoked);
    Ok(RevokedResource {
        status: "success".into(),
        revoked,
    })
}
