//! The authorization code grant's rows (Passport's `oauth_auth_codes`, with the consents it
//! remembers and the browser sign-ins of `/oauth/authorize`): codes and sign-ins by the SHA-256 of
//! their values, each use one conditional statement.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Id, is_unique_violation};
use crate::schema::{
    oauth_auth_codes, oauth_authorization_sessions, oauth_clients, oauth_consents,
};

/// An authorization code: what `/oauth/authorize` bound it to.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = oauth_auth_codes)]
#[diesel(treat_none_as_default_value = false)]
pub struct AuthCode {
    pub code_hash: String,
    pub client_id: Id,
    pub user_id: Id,
    pub redirect_uri: String,
    /// Whether the authorization request named `redirect_uri` (then the token request must too).
    pub redirect_uri_sent: bool,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    pub scopes: String,
    pub resource: Option<String>,
    pub nonce: Option<String>,
    /// How the user signed in (RFC 8176 values, space-separated).
    pub amr: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    /// The session its redemption started.
    pub session_id: Option<Id>,
    /// When the user signed in at `/oauth/authorize` (an ID token's `auth_time`).
    pub auth_time: Option<NaiveDateTime>,
}

impl AuthCode {
    /// Inserts the code.
    pub fn create(conn: &mut DbConnection, code: &AuthCode) -> QueryResult<()> {
        diesel::insert_into(oauth_auth_codes::table)
            .values(code)
            .execute(conn)
            .map(drop)
    }

    /// The code with this hash, whatever its state.
    pub fn find(conn: &mut DbConnection, code_hash: &str) -> QueryResult<Option<AuthCode>> {
        oauth_auth_codes::table
            .find(code_hash)
            .first(conn)
            .optional()
    }

    /// Redeems the code for the session `session_id`: true when this call did (it was unused).
    pub fn redeem(
        conn: &mut DbConnection,
        code_hash: &str,
        session_id: Id,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            oauth_auth_codes::table
                .find(code_hash)
                .filter(oauth_auth_codes::used_at.is_null()),
        )
        .set((
            oauth_auth_codes::used_at.eq(now),
            oauth_auth_codes::session_id.eq(session_id),
        ))
        .execute(conn)
        .map(|updated| updated == 1)
    }

    /// Deletes the codes of `user_id` for `client_id` not redeemed yet (a consent withdrawn).
    pub fn delete_unused_of(
        conn: &mut DbConnection,
        user_id: Id,
        client_id: Id,
    ) -> QueryResult<()> {
        diesel::delete(
            oauth_auth_codes::table
                .filter(oauth_auth_codes::user_id.eq(user_id))
                .filter(oauth_auth_codes::client_id.eq(client_id))
                .filter(oauth_auth_codes::used_at.is_null()),
        )
        .execute(conn)
        .map(drop)
    }

    /// Deletes up to `batch` codes that expired before `before` (a used code's session has its
    /// own lifetime).
    pub fn prune_batch(
        conn: &mut DbConnection,
        before: NaiveDateTime,
        batch: i64,
    ) -> QueryResult<usize> {
        let expired: Vec<String> = oauth_auth_codes::table
            .select(oauth_auth_codes::code_hash)
            .filter(oauth_auth_codes::expires_at.lt(before))
            .limit(batch)
            .load(conn)?;
        diesel::delete(oauth_auth_codes::table.filter(oauth_auth_codes::code_hash.eq_any(expired)))
            .execute(conn)
    }
}

/// What a user allowed a client: the scopes a later request may ask for without the page.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = oauth_consents)]
pub struct Consent {
    pub user_id: Id,
    pub client_id: Id,
    pub scopes: String,
    pub created_at: NaiveDateTime,
}

impl Consent {
    /// The user's consent to the client, if any.
    pub fn find(conn: &mut DbConnection, user_id: Id, client_id: Id) -> QueryResult<Option<Self>> {
        oauth_consents::table
            .find((user_id, client_id))
            .first(conn)
            .optional()
    }

    /// Remembers `consent`, replacing an earlier one of the same user and client. Two at once
    /// (a double click, two tabs) leave one row: the insert that loses to the other updates it.
    pub fn remember(conn: &mut DbConnection, consent: &Consent) -> QueryResult<()> {
        let update = |conn: &mut DbConnection| {
            diesel::update(oauth_consents::table.find((consent.user_id, consent.client_id)))
                .set((
                    oauth_consents::scopes.eq(&consent.scopes),
                    oauth_consents::created_at.eq(consent.created_at),
                ))
                .execute(conn)
        };
        if update(conn)? == 1 {
            return Ok(());
        }
        match diesel::insert_into(oauth_consents::table)
            .values(consent)
            .execute(conn)
        {
            Ok(_) => Ok(()),
            Err(error) if is_unique_violation(&error) => update(conn).map(drop),
            Err(error) => Err(error),
        }
    }

    /// The user's consents with their clients' names, oldest first.
    pub fn of_user(conn: &mut DbConnection, user_id: Id) -> QueryResult<Vec<(Consent, String)>> {
        oauth_consents::table
            .inner_join(oauth_clients::table)
            .filter(oauth_consents::user_id.eq(user_id))
            .order(oauth_consents::created_at)
            .select((oauth_consents::all_columns, oauth_clients::name))
            .load(conn)
    }

    /// Withdraws the consent: false when there was none.
    pub fn withdraw(conn: &mut DbConnection, user_id: Id, client_id: Id) -> QueryResult<bool> {
        diesel::delete(oauth_consents::table.find((user_id, client_id)))
            .execute(conn)
            .map(|deleted| deleted == 1)
    }
}

/// A browser signed in at `/oauth/authorize`: its cookie's value by hash, for ten minutes.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = oauth_authorization_sessions)]
pub struct AuthorizationSession {
    pub id_hash: String,
    pub user_id: Id,
    /// How the user signed in (RFC 8176 values, space-separated).
    pub amr: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl AuthorizationSession {
    /// Inserts the sign-in.
    pub fn create(conn: &mut DbConnection, session: &AuthorizationSession) -> QueryResult<()> {
        diesel::insert_into(oauth_authorization_sessions::table)
            .values(session)
            .execute(conn)
            .map(drop)
    }

    /// The sign-in of this hash while it lasts.
    pub fn find_live(
        conn: &mut DbConnection,
        id_hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Option<Self>> {
        oauth_authorization_sessions::table
            .find(id_hash)
            .filter(oauth_authorization_sessions::expires_at.gt(now))
            .first(conn)
            .optional()
    }

    /// Deletes the sign-in of this hash (the browser signed out), if it is `user_id`'s when
    /// given.
    pub fn delete(conn: &mut DbConnection, id_hash: &str, user_id: Option<Id>) -> QueryResult<()> {
        let mut query =
            diesel::delete(oauth_authorization_sessions::table.find(id_hash)).into_boxed();
        if let Some(user_id) = user_id {
            query = query.filter(oauth_authorization_sessions::user_id.eq(user_id));
        }
        query.execute(conn).map(drop)
    }

    /// Deletes every sign-in of the user (their logins end).
    pub fn delete_of_user(conn: &mut DbConnection, user_id: Id) -> QueryResult<()> {
        diesel::delete(
            oauth_authorization_sessions::table
                .filter(oauth_authorization_sessions::user_id.eq(user_id)),
        )
        .execute(conn)
        .map(drop)
    }

    /// Deletes the sign-ins that expired before `before`.
    pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(
            oauth_authorization_sessions::table
                .filter(oauth_authorization_sessions::expires_at.lt(before)),
        )
        .execute(conn)
    }
}
