//! The OAuth clients a user has allowed (Passport's `AuthorizedAccessTokenController`): list the
//! grants, and withdraw one, which ends that client's sessions of the user.

use actix_web::{HttpResponse, web};

use crate::auth::AuthUser;
use crate::auth::sessions;
use crate::db::Id;
use crate::error::responses::{GuardErrors, Unavailable};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::models::Consent;
use crate::resources::{ConsentResource, ConsentsResource};
use crate::state::AppState;

/// `GET /consents`: `{"data":[{"client_id","client_name","scopes","created_at"}]}`, oldest first.
#[utoipa::path(get, path = "/api/consents", tag = "oauth", security(("bearer" = [])), responses(
    (status = 200, description = "The clients the user allowed, with the scopes (Cache-Control: no-store)", body = ConsentsResource),
    GuardErrors, Unavailable,
))]
pub async fn index(state: web::Data<AppState>, auth: AuthUser) -> AppResult<ConsentsResource> {
    // Which clients a user allowed is the account's business, not an OAuth client's.
    auth.claims.first_party_only()?;
    let user_id = auth.user.id;
    let consents = state
        .db
        .read(move |conn| Consent::of_user(conn, user_id))
        .await?;
    Ok(ConsentsResource {
        data: consents
            .into_iter()
            .map(|(consent, name)| ConsentResource::new(consent, name))
            .collect(),
    })
}

/// `DELETE /consents/{client_id}`: 204; the grant is withdrawn (the next authorization asks
/// again) and every session of the user with that client ends. A client with no grant: 404.
#[utoipa::path(delete, path = "/api/consents/{client_id}", tag = "oauth", security(("bearer" = [])),
    params(("client_id" = String, Path, description = "A client id from GET /api/consents")),
    responses(
    (status = 204, description = "Withdrawn; the client's sessions of the user ended"),
    (status = 404, description = "not_found: no grant to that client", body = ErrorBody),
    GuardErrors, Unavailable,
))]
pub async fn destroy(
    state: web::Data<AppState>,
    auth: AuthUser,
    client_id: web::Path<String>,
) -> AppResult<HttpResponse> {
    auth.claims.first_party_only()?;
    let not_found = || AppError::ModelNotFound("Consent not found");
    let client_id = uuid::Uuid::parse_str(&client_id).map_err(|_| not_found())?;
    if sessions::withdraw_consent(&state, auth.user.id, Id(client_id)).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_found())
    }
}
