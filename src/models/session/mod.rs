//! The `sessions` table: one row per login — `/api/login` or the OAuth password grant — that its
//! access tokens name as `sid`, and for OAuth the family of its refresh tokens. Ending the row ends
//! every token of the login at once (Laravel: the database session driver's `sessions` table,
//! which Jetstream lists as "browser sessions").

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::{DbConnection, Id};
use crate::jwt::{Proof, acr_of};
use crate::models::OAuthRefreshToken;
use crate::schema::{oauth_refresh_tokens, sessions};

mod ended;

pub use ended::Ended;

diesel::alias!(sessions as ended_sessions: EndedSessions);

/// How long `last_seen_at` may lag: the guard writes it at most this often per session.
pub const LAST_SEEN_EVERY: Duration = Duration::minutes(1);

/// Longest user agent kept, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 255;

/// A login and what is known of the device it came from.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = sessions)]
// NULL, not SQL's DEFAULT keyword, which SQLite lacks in multi-backend inserts.
#[diesel(treat_none_as_default_value = false)]
pub struct Session {
    pub id: Id,
    pub user_id: Id,
    /// The OAuth client of an OAuth login; `None` for `/api/login`.
    pub client_id: Option<Id>,
    /// OAuth: the scopes granted at login (space-separated); refreshes may only narrow them.
    pub scopes: String,
    pub created_at: NaiveDateTime,
    /// The end of the login: JWT_REFRESH_TTL after it for `/api`, OAUTH_REFRESH_TTL for OAuth.
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub last_seen_at: NaiveDateTime,
    pub revoked_reason: Option<String>,
    /// How the login was proven: [`Proof::amr`] (RFC 8176 values, space-separated).
    pub amr: String,
    /// OAuth: the resource (RFC 8707) its access tokens are for; `None`: the default resource.
    pub resource: Option<String>,
}

/// Who is logging in, from where, for how long: what [`Session::start`] records.
#[derive(Debug, Clone)]
pub struct NewLogin {
    pub user_id: Id,
    pub client_id: Option<Id>,
    pub scopes: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub lifetime: Duration,
    pub proof: Proof,
    /// OAuth: the resource asked for (RFC 8707).
    pub resource: Option<String>,
}

impl Session {
    /// A new session for `login`, starting `now`; the user agent is cut to its first 255 characters.
    pub fn start(login: NewLogin, now: NaiveDateTime) -> Self {
        Self {
            id: Id::now_v7(),
            user_id: login.user_id,
            client_id: login.client_id,
            scopes: login.scopes,
            created_at: now,
            expires_at: now + login.lifetime,
            revoked_at: None,
            user_agent: login
                .user_agent
                .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect()),
            ip: login.ip,
            last_seen_at: now,
            revoked_reason: None,
            amr: login.proof.amr().to_owned(),
            resource: login.resource,
        }
    }

    /// The session's `acr`: see [`acr_of`].
    pub fn acr(&self) -> &'static str {
        acr_of(self.amr.split(' '))
    }

    /// Neither revoked nor past its end.
    pub fn is_active(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }

    /// Whether `last_seen_at` is older than [`LAST_SEEN_EVERY`].
    pub fn is_stale(&self, now: NaiveDateTime) -> bool {
        self.last_seen_at + LAST_SEEN_EVERY <= now
    }

    /// Inserts the session.
    pub fn create(conn: &mut DbConnection, session: &Session) -> QueryResult<()> {
        diesel::insert_into(sessions::table)
            .values(session)
            .execute(conn)
            .map(drop)
    }

    /// Inserts the session and, for an OAuth login, the first refresh token of its family: one
    /// transaction.
    pub fn create_with_refresh_token(
        conn: &mut DbConnection,
        session: &Session,
        refresh_token: Option<&OAuthRefreshToken>,
    ) -> QueryResult<()> {
        conn.write_transaction(|conn| {
            Self::create(conn, session)?;
            refresh_token.map_or(Ok(()), |token| OAuthRefreshToken::create(conn, token))
        })
    }

    /// Sets `last_seen_at`.
    pub fn touch(conn: &mut DbConnection, id: Id, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(sessions::table.find(id))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)
            .map(drop)
    }

    /// The user's active sessions, most recently seen first.
    pub fn active_of_user(
        conn: &mut DbConnection,
        user_id: Id,
        now: NaiveDateTime,
    ) -> QueryResult<Vec<Session>> {
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .order((sessions::last_seen_at.desc(), sessions::id.desc()))
            .load(conn)
    }

    /// Takes the session's row lock for the rest of the transaction by writing its `last_seen_at`
    /// (an UPDATE: portable, where `SELECT … FOR UPDATE` is not). Rotations of one family then
    /// queue behind each other and every transaction locks session before tokens, so a replay that
    /// revokes the family cannot deadlock with the rotation it lost to.
    pub fn lock(conn: &mut DbConnection, id: Id, now: NaiveDateTime) -> QueryResult<()> {
        Self::touch(conn, id, now)
    }

    /// Ends the session and every refresh token of its family; false when it had ended already.
    pub fn revoke(
        conn: &mut DbConnection,
        id: Id,
        why: Ended,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let ended = diesel::update(
            sessions::table
                .find(id)
                .filter(sessions::revoked_at.is_null()),
        )
        .set((
            sessions::revoked_at.eq(now),
            sessions::revoked_reason.eq(why.as_str()),
        ))
        .execute(conn)?;
        Self::revoke_refresh_tokens(conn, id, now)?;
        Ok(ended == 1)
    }

    fn revoke_refresh_tokens(
        conn: &mut DbConnection,
        id: Id,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(
            oauth_refresh_tokens::table
                .filter(oauth_refresh_tokens::session_id.eq(id))
                .filter(oauth_refresh_tokens::revoked_at.is_null()),
        )
        .set(oauth_refresh_tokens::revoked_at.eq(now))
        .execute(conn)
        .map(drop)
    }

    /// Ends one active session of `user_id`; false when there is none with that id (unknown,
    /// another user's, or ended already: the caller cannot tell which).
    pub fn revoke_of_user(
        conn: &mut DbConnection,
        id: Id,
        user_id: Id,
        why: Ended,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let ended = diesel::update(
            sessions::table
                .find(id)
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now)),
        )
        .set((
            sessions::revoked_at.eq(now),
            sessions::revoked_reason.eq(why.as_str()),
        ))
        .execute(conn)?;
        if ended == 1 {
            Self::revoke_refresh_tokens(conn, id, now)?;
        }
        Ok(ended == 1)
    }

    /// Ends every active session of `user_id` with the OAuth client `client_id`, with their
    /// refresh tokens. How many ended.
    pub fn revoke_of_user_and_client(
        conn: &mut DbConnection,
        user_id: Id,
        client_id: Id,
        why: Ended,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let ids: Vec<Id> = sessions::table
            .select(sessions::id)
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::client_id.eq(client_id))
            .filter(sessions::revoked_at.is_null())
            .load(conn)?;
        for id in &ids {
            Self::revoke(conn, *id, why, now)?;
        }
        Ok(ids.len())
    }

    /// Ends every active session of a user but `except`, with their refresh tokens: one statement
    /// per table, however many sessions there are. Returns how many sessions ended.
    pub fn revoke_all_of_user(
        conn: &mut DbConnection,
        user_id: Id,
        except: Option<Id>,
        why: Ended,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        // A nil id matches no session: "every session" is "every session but none".
        let except = except.unwrap_or(Id(uuid::Uuid::nil()));
        // Sessions before their refresh tokens, the order every transaction locks them in
        // (see [`Session::lock`]), so this cannot deadlock with a rotation.
        let ended = diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::id.ne(except))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now)),
        )
        .set((
            sessions::revoked_at.eq(now),
            sessions::revoked_reason.eq(why.as_str()),
        ))
        .execute(conn)?;
        let of_user = sessions::table
            .select(sessions::id)
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(except));
        diesel::update(
            oauth_refresh_tokens::table
                .filter(oauth_refresh_tokens::session_id.eq_any(of_user))
                .filter(oauth_refresh_tokens::revoked_at.is_null()),
        )
        .set(oauth_refresh_tokens::revoked_at.eq(now))
        .execute(conn)?;
        Ok(ended)
    }

    /// Deletes up to `batch` sessions that ended (expired or were revoked) before `ended_before`;
    /// their refresh tokens go with them.
    pub fn prune_batch(
        conn: &mut DbConnection,
        ended_before: NaiveDateTime,
        batch: i64,
    ) -> QueryResult<usize> {
        let ended = ended_sessions
            .select(ended_sessions.field(sessions::id))
            .filter(
                ended_sessions
                    .field(sessions::expires_at)
                    .lt(ended_before)
                    .or(ended_sessions.field(sessions::revoked_at).lt(ended_before)),
            )
            .limit(batch);
        diesel::delete(sessions::table.filter(sessions::id.eq_any(ended))).execute(conn)
    }
}
