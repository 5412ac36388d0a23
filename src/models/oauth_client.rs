//! The `oauth_clients` table (Passport: Laravel\Passport\Client).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Id};
use crate::schema::oauth_clients;

/// An OAuth client: confidential (with a secret, stored hashed) or public (none).
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = oauth_clients)]
pub struct OAuthClient {
    pub id: Id,
    pub name: String,
    /// SHA-256 (hex) of the secret; `None` for a public client.
    pub secret_hash: Option<String>,
    /// Space-separated grant types the client may use.
    pub grant_types: String,
    /// Space-separated scopes the client may ask for.
    pub scopes: String,
    /// A first-party client: only those may use the password grant (RFC 9700).
    pub first_party: bool,
    /// Every grant gets a refresh token, not only grants with `offline_access`.
    pub always_issue_refresh_token: bool,
    pub created_at: NaiveDateTime,
    /// Space-separated redirect URIs of the authorization code grant (`oauth::redirect_uri`).
    pub redirect_uris: String,
    /// Space-separated resources (RFC 8707) the client may ask tokens for.
    pub resources: String,
    /// A first-party client whose users are not asked for consent.
    pub skip_consent: bool,
    /// Space-separated URIs RP-initiated logout may send the browser back to, matched exactly.
    pub post_logout_redirect_uris: String,
}

impl OAuthClient {
    /// Whether the client has a secret to prove.
    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some()
    }

    /// Whether `grant` is among the client's grant types (and, for `password`, it is first-party).
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.split_whitespace().any(|g| g == grant)
            && (grant != "password" || self.first_party)
    }

    /// The registered redirect URIs.
    pub fn redirect_uris(&self) -> impl Iterator<Item = &str> {
        self.redirect_uris.split_whitespace()
    }

    /// Whether RP-initiated logout may redirect to `uri`: one the client registered, exactly.
    pub fn allows_post_logout_redirect(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris
            .split_whitespace()
            .any(|registered| registered == uri)
    }

    /// Whether `resource` is one the client registered.
    pub fn allows_resource(&self, resource: &str) -> bool {
        self.resources.split_whitespace().any(|r| r == resource)
    }

    /// The client's row.
    pub fn find(conn: &mut DbConnection, id: Id) -> QueryResult<Option<Self>> {
        oauth_clients::table.find(id).first(conn).optional()
    }

    /// Inserts a client.
    pub fn create(conn: &mut DbConnection, new: &OAuthClient) -> QueryResult<()> {
        diesel::insert_into(oauth_clients::table)
            .values(new)
            .execute(conn)
            .map(drop)
    }

    /// Every client, oldest first.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Self>> {
        oauth_clients::table
            .order(oauth_clients::created_at)
            .load(conn)
    }

    /// Deletes a client (its sessions and refresh tokens go with it); false if there was none.
    pub fn delete(conn: &mut DbConnection, id: Id) -> QueryResult<bool> {
        diesel::delete(oauth_clients::table.find(id))
            .execute(conn)
            .map(|n| n == 1)
    }
}
