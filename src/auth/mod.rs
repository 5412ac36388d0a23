//! Authentication: the guards that check a bearer token (guard/), the email-and-password check
//! of a login (login.rs) and the one owner of a login's life (sessions/). Laravel:
//! config/auth.php's `api` guard with tymon/jwt-auth's driver. The tokens themselves are
//! `crate::jwt`'s, the password hashes `crate::hashing`'s.

pub mod email_change;
pub mod email_verification;
pub mod guard;
pub mod login;
pub mod refresh_cookie;
pub mod sessions;
mod token_source;
pub mod two_factor;

pub use guard::{
    ADMIN_ROLE, AdminUser, AnyAudienceUser, AuthUser, RefreshableToken, SignOutToken,
    TokenToRefresh, active_access_token,
};
