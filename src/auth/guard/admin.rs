//! The admin API's guard (Laravel: a `can:admin` gate on top of `auth:api`): a login token of this
//! server's `/api` whose user holds the `admin` role, proven with the second factor when that
//! admin has two-factor on.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::AuthUser;
use crate::error::AppError;
use crate::jwt::Claims;
use crate::models::User;

/// The role the admin API needs.
pub const ADMIN_ROLE: &str = "admin";

/// An admin, signed in as the admin API needs.
#[derive(Debug)]
pub struct AdminUser {
    pub user: User,
    pub claims: Claims,
}

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = AuthUser::from_request(req, payload);
        Box::pin(async move {
            let AuthUser { user, claims } = auth.await?;
            claims.first_party_only()?;
            // The row's roles, not the token's: a demoted admin stops at the next request.
            if !user.role_set().contains(ADMIN_ROLE) {
                return Err(AppError::Forbidden("This action needs the admin role."));
            }
            if user.has_two_factor() && claims.acr.as_deref() != Some("2") {
                return Err(AppError::Forbidden(
                    "An admin with two-factor on must sign in with it to use the admin API.",
                ));
            }
            Ok(Self { user, claims })
        })
    }
}
