//! The account answers beyond USER: a user as an admin sees it, a page of them in Laravel's
//! paginated resource-collection shape (`data`, `links`, `meta`), and a user's own export.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{UserResource, no_store, rfc3339};
use crate::models::User;

/// A user as an admin sees it: USER with its custom claims, when it was disabled and how many
/// sessions it has. Never the password hash or two-factor secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserResource {
    #[serde(flatten)]
    pub user: UserResource,
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
    #[schema(format = DateTime)]
    pub disabled_at: Option<String>,
    /// Active sessions.
    pub sessions_count: i64,
}

impl AdminUserResource {
    /// `user`, with `sessions_count` active sessions.
    pub fn new(user: User, sessions_count: i64) -> Self {
        Self {
            claims: user.custom_claims().into_map(),
            disabled_at: user.disabled_at.map(rfc3339),
            sessions_count,
            user: UserResource::from(user),
        }
    }
}

impl Responder for AdminUserResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::OK, &self)
    }
}

/// Laravel's `links` of a page: the first, last, previous and next pages' URLs.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageLinks {
    pub first: String,
    pub last: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// Laravel's `meta` of a page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    pub current_page: i64,
    /// The position of the page's first item (1-based); null on an empty page.
    pub from: Option<i64>,
    pub last_page: i64,
    pub path: String,
    pub per_page: i64,
    pub to: Option<i64>,
    pub total: i64,
}

/// `GET /api/admin/users`: a page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsersPageResource {
    pub data: Vec<AdminUserResource>,
    pub links: PageLinks,
    pub meta: PageMeta,
}

impl UsersPageResource {
    /// Page `page` of `per_page` users out of `total`, at `path`; `query` is the search to keep
    /// in the links (already URL-encoded, with its leading `&`).
    pub fn new(
        data: Vec<AdminUserResource>,
        (page, per_page, total): (i64, i64, i64),
        path: String,
        query: &str,
    ) -> Self {
        let last_page = ((total + per_page - 1) / per_page).max(1);
        let url = |n: i64| format!("{path}?page={n}&per_page={per_page}{query}");
        let from = (page - 1) * per_page + 1;
        let count = data.len() as i64;
        Self {
            links: PageLinks {
                first: url(1),
                last: url(last_page),
                prev: (page > 1).then(|| url(page - 1)),
                next: (page < last_page).then(|| url(page + 1)),
            },
            meta: PageMeta {
                current_page: page,
                from: (count > 0).then_some(from),
                last_page,
                path,
                per_page,
                to: (count > 0).then_some(from + count - 1),
                total,
            },
            data,
        }
    }
}

impl Responder for UsersPageResource {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        no_store(StatusCode::OK, &self)
    }
}

/// `GET /api/user/export`: everything kept about the user, as an attachment — never a password
/// hash, a two-factor secret, a recovery code or a token.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountExport {
    pub user: UserResource,
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
    /// The active sessions, with the address and user agent each came from.
    pub sessions: Vec<super::SessionResource>,
    /// The OAuth clients the user allowed.
    pub consents: Vec<super::ConsentResource>,
    pub two_factor: TwoFactorStatus,
    /// When this export was made.
    #[schema(format = DateTime)]
    pub exported_at: String,
}

/// Two-factor as the export tells it: whether it is on and since when.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    #[schema(format = DateTime)]
    pub confirmed_at: Option<String>,
}

impl Responder for AccountExport {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        let mut response = no_store(StatusCode::OK, &self);
        if let Ok(value) = "attachment; filename=\"account.json\"".parse() {
            response
                .headers_mut()
                .insert(actix_web::http::header::CONTENT_DISPOSITION, value);
        }
        response
    }
}
