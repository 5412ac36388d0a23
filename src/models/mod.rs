//! Eloquent's place: rows as structs, queries as associated functions taking `conn` first.

pub mod blacklisted_token;
pub mod oauth_client;
pub mod oauth_refresh_token;
pub mod oauth_session;
pub mod user;

pub use blacklisted_token::{Added, BlacklistedToken, NewBlacklistedToken};
pub use oauth_client::{NewOAuthClient, OAuthClient};
pub use oauth_refresh_token::OAuthRefreshToken;
pub use oauth_session::OAuthSession;
pub use user::{NewUser, User};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::DbConnection;

/// Rows past their lifetimes that a prune deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub blacklisted_tokens: usize,
    pub oauth_sessions: usize,
    pub oauth_refresh_tokens: usize,
}

/// Deletes, in batches of `batch`, blacklist rows past `expires_at`, OAuth sessions past their
/// absolute lifetime (with their refresh tokens) and refresh tokens older than `oauth_idle_cutoff`.
pub fn prune_expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    oauth_idle_cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<Pruned> {
    Ok(Pruned {
        blacklisted_tokens: BlacklistedToken::prune(conn, now, batch)?,
        oauth_sessions: OAuthSession::prune(conn, now, batch)?,
        oauth_refresh_tokens: OAuthRefreshToken::prune(conn, oauth_idle_cutoff, batch)?,
    })
}
