//! `/api/admin/users…`: an admin finds, changes, signs out and deletes users (GoTrue's admin API;
//! Laravel: an admin panel's `UserController`). Every route needs [`AdminUser`]; every change is
//! audited with the admin's id, and none lets an admin lock themselves out.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::sessions::{self, AccountChange};
use crate::auth::{ADMIN_ROLE, AdminUser};
use crate::db::{self, Id};
use crate::error::responses::{FormRequestErrors, GuardErrors, Unavailable};
use crate::error::{AppError, AppResult, ErrorBody, FieldErrors};
use crate::models::User;
use crate::requests::{AdminUserUpdate, Validated};
use crate::resources::{AdminUserResource, RevokedResource, UsersPageResource};
use crate::state::AppState;

/// Users per page unless `per_page` says otherwise (Laravel's default).
const PER_PAGE: i64 = 15;
/// The most `per_page` gives.
const MAX_PER_PAGE: i64 = 100;
/// The longest search read.
const MAX_SEARCH_CHARS: usize = 255;

/// `GET /api/admin/users`'s query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UsersQuery {
    /// An email prefix or a part of the name, any case.
    search: Option<String>,
    /// From 1.
    page: Option<String>,
    /// 1 to 100 (more is read as 100); 15 when left out.
    per_page: Option<String>,
}

/// A page of users, oldest first.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin", security(("bearer" = [])), params(UsersQuery),
    responses(
    (status = 200, description = "Laravel's paginated shape (Cache-Control: no-store)", body = UsersPageResource),
    (status = 403, description = "forbidden: not an admin, or an admin with two-factor on signed in without it", body = ErrorBody),
    (status = 422, description = "validation_failed: page or per_page is not a whole number", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn index(
    state: web::Data<AppState>,
    req: HttpRequest,
    _admin: AdminUser,
    query: web::Query<UsersQuery>,
) -> AppResult<UsersPageResource> {
    let mut errors = FieldErrors::new();
    let mut number = |field: &str, text: Option<&str>, default: i64| match text {
        None => default,
        Some(text) => text.trim().parse::<i64>().unwrap_or_else(|_| {
            errors
                .entry(field.to_owned())
                .or_default()
                .push(format!("The {field} must be a whole number."));
            default
        }),
    };
    let page = number("page", query.page.as_deref(), 1).max(1);
    let per_page = number("per_page", query.per_page.as_deref(), PER_PAGE).clamp(1, MAX_PER_PAGE);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let search: Option<String> = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(MAX_SEARCH_CHARS).collect());
    let term = search.clone();
    let (found, counts) = state
        .db
        .read(move |conn| {
            let found = User::page(conn, term.as_deref(), (page - 1) * per_page, per_page)?;
            let ids: Vec<Id> = found.users.iter().map(|user| user.id).collect();
            let counts = User::sessions_counts(conn, &ids, db::now())?;
            Ok((found, counts))
        })
        .await?;
    let data = found
        .users
        .into_iter()
        .map(|user| {
            let count = counts.get(&user.id).copied().unwrap_or(0);
            AdminUserResource::new(user, count)
        })
        .collect();
    let path = format!(
        "{}{}",
        state.config.app_url.trim_end_matches('/'),
        req.path()
    );
    let kept = search
        .map(|s| {
            format!(
                "&{}",
                serde_urlencoded::to_string([("search", s)]).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    Ok(UsersPageResource::new(
        data,
        (page, per_page, found.total),
        path,
        &kept,
    ))
}

/// One user.
#[utoipa::path(get, path = "/api/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    responses(
    (status = 200, description = "The user (Cache-Control: no-store)", body = AdminUserResource),
    (status = 403, description = "forbidden", body = ErrorBody),
    (status = 404, description = "not_found: no such user", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn show(
    state: web::Data<AppState>,
    _admin: AdminUser,
    id: web::Path<String>,
) -> AppResult<AdminUserResource> {
    admin_view(&state, user_id(&id)?).await
}

/// Changes `name`, `roles`, `claims` and `disabled` (each optional) in one transaction; the next
/// token of the user carries them, a disabled user's tokens stop at once. An admin cannot remove
/// their own `admin` role nor disable themselves (422).
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    request_body(content((AdminUserUpdate = "application/json"), (AdminUserUpdate = "application/x-www-form-urlencoded"))),
    responses(
    (status = 200, description = "The user after the change (Cache-Control: no-store)", body = AdminUserResource),
    (status = 403, description = "forbidden", body = ErrorBody),
    (status = 404, description = "not_found: no such user", body = ErrorBody),
    FormRequestErrors, GuardErrors, Unavailable,
))]
pub async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    Validated(update): Validated<AdminUserUpdate>,
) -> AppResult<AdminUserResource> {
    let id = user_id(&id)?;
    let mut changes = Vec::new();
    if let Some(name) = update.name() {
        changes.push(AccountChange::Name(name));
    }
    if let Some(Ok(roles)) = update.roles() {
        if id == admin.user.id && !roles.contains(ADMIN_ROLE) {
            return Err(refused("roles", "You cannot remove your own admin role."));
        }
        changes.push(AccountChange::Roles(roles));
    }
    if let Some(Ok(claims)) = update.claims() {
        changes.push(AccountChange::Claims(claims));
    }
    if let Some(Ok(disabled)) = update.disabled() {
        if id == admin.user.id && disabled {
            return Err(refused("disabled", "You cannot disable your own account."));
        }
        changes.push(AccountChange::Disabled(disabled));
    }
    sessions::change_by_admin(&state, admin.user.id, id, changes, false)
        .await?
        .ok_or(AppError::ModelNotFound("User not found"))?;
    admin_view(&state, id).await
}

/// Deletes the user with every row of it (as `DELETE /api/user` does for oneself); not oneself
/// (422).
#[utoipa::path(delete, path = "/api/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "forbidden", body = ErrorBody),
    (status = 404, description = "not_found: no such user", body = ErrorBody),
    (status = 422, description = "validation_failed: an admin deleting themselves", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn destroy(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = user_id(&id)?;
    if id == admin.user.id {
        return Err(refused(
            "user",
            "You cannot delete your own account here: use DELETE /api/user.",
        ));
    }
    if !sessions::delete_by(&state, admin.user.id, id).await? {
        return Err(AppError::ModelNotFound("User not found"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Signs the user out everywhere: every session, OAuth refresh token and browser sign-in ends.
#[utoipa::path(delete, path = "/api/admin/users/{id}/sessions", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    responses(
    (status = 200, description = "How many sessions ended (Cache-Control: no-store)", body = RevokedResource),
    (status = 403, description = "forbidden", body = ErrorBody),
    (status = 404, description = "not_found: no such user", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn destroy_sessions(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
) -> AppResult<RevokedResource> {
    let revoked = sessions::change_by_admin(&state, admin.user.id, user_id(&id)?, vec![], true)
        .await?
        .ok_or(AppError::ModelNotFound("User not found"))?;
    Ok(RevokedResource {
        status: "success".into(),
        revoked,
    })
}

/// The user `id` as an admin sees it.
async fn admin_view(state: &AppState, id: Id) -> AppResult<AdminUserResource> {
    let found = state
        .db
        .read(move |conn| {
            let Some(user) = User::find(conn, id)? else {
                return Ok(None);
            };
            let count = User::sessions_counts(conn, &[id], db::now())?;
            Ok(Some((user, count.get(&id).copied().unwrap_or(0))))
        })
        .await?;
    let (user, count) = found.ok_or(AppError::ModelNotFound("User not found"))?;
    Ok(AdminUserResource::new(user, count))
}

/// The path's user id; a malformed one names no user (404).
fn user_id(text: &str) -> AppResult<Id> {
    uuid::Uuid::parse_str(text)
        .map(Id)
        .map_err(|_| AppError::ModelNotFound("User not found"))
}

/// A 422 on `field`.
fn refused(field: &str, message: &str) -> AppError {
    let mut errors = FieldErrors::new();
    errors.insert(field.to_owned(), vec![message.to_owned()]);
    AppError::Validation(errors)
}
