//! The `users` table (Laravel: app/Models/User.php).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Id, is_unique_violation};
use crate::models::{BlacklistedToken, Session};
use crate::schema::{blacklisted_tokens, sessions, users};

/// A user row. `password` is the bcrypt hash and never leaves the server (see UserResource).
#[derive(Debug, Clone, Queryable)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub email: String,
    pub password: String,
    /// Tokens issued before this instant are rejected (`logout?scope=all`).
    pub tokens_valid_after: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the address was proven by its verification link (Laravel's MustVerifyEmail).
    pub email_verified_at: Option<NaiveDateTime>,
    /// Its id in the Laravel app it was imported from (`users:import`): tymon's `sub`.
    pub legacy_id: Option<String>,
    /// The TOTP secret sealed under APP_KEY; pending until `two_factor_confirmed_at` is set.
    pub two_factor_secret: Option<String>,
    /// When two-factor was turned on (Fortify's column of the same name).
    pub two_factor_confirmed_at: Option<NaiveDateTime>,
    /// The last TOTP time step a code was accepted for.
    pub two_factor_last_step: Option<i64>,
    /// Space-separated role names (see [`Roles`](super::Roles)).
    pub roles: String,
    /// A JSON object of custom claims (see [`CustomClaims`](super::CustomClaims)).
    pub claims: String,
    /// When the account was disabled; `None` while it is enabled.
    pub disabled_at: Option<NaiveDateTime>,
    /// The address an email change waits to move to.
    pub pending_email: Option<String>,
}

/// A user to insert; the id and timestamps are made here, never taken from input.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: Id,
    pub name: String,
    pub email: String,
    pub password: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewUser {
    /// A new user with a fresh time-ordered id, created now.
    pub fn new(name: String, email: String, password_hash: String) -> Self {
        let now = crate::db::now();
        Self {
            id: Id::now_v7(),
            name,
            email,
            password: password_hash,
            created_at: now,
            updated_at: now,
        }
    }
}

/// An email as it is stored and matched: trimmed, lowercased, the domain in its IDNA ASCII form
/// (UTS-46, non-transitional): `Ann@Bücher.example` is `ann@xn--bcher-kva.example`. A domain that
/// IDNA refuses is left as sent (and then fails the email rule).
pub fn normalise_email(email: &str) -> String {
    let email = email.trim().to_lowercase();
    match email.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => match idna::domain_to_ascii(domain) {
            Ok(ascii) => format!("{local}@{ascii}"),
            Err(_) => email,
        },
        _ => email,
    }
}

/// What [`User::normalise_stored_emails`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EmailsNormalised {
    /// Rows whose email was rewritten to its normalised form.
    pub updated: usize,
    /// Rows left as they were because another user already has the normalised email.
    pub conflicts: Vec<Id>,
}

#[derive(QueryableByName)]
struct StoredEmail {
    #[diesel(sql_type = crate::db::sql_types::Uuid)]
    id: Id,
    #[diesel(sql_type = diesel::sql_types::Text)]
    email: String,
}

/// A token's user with the blacklist row of its jti and its session, if any.
pub type TokenOwner = (User, Option<BlacklistedToken>, Option<Session>);

impl User {
    /// Inserts `new`; `Ok(None)` when the email is already taken (the unique index decides, so
    /// concurrent sign-ups with one email leave exactly one row).
    pub fn create(conn: &mut DbConnection, new: NewUser) -> QueryResult<Option<User>> {
        match diesel::insert_into(users::table).values(&new).execute(conn) {
            Ok(_) => Ok(Some(User {
                id: new.id,
                name: new.name,
                email: new.email,
                password: new.password,
                tokens_valid_after: None,
                created_at: new.created_at,
                updated_at: new.updated_at,
                email_verified_at: None,
                legacy_id: None,
                two_factor_secret: None,
                two_factor_confirmed_at: None,
                two_factor_last_step: None,
                roles: String::new(),
                claims: "{}".to_owned(),
                disabled_at: None,
                pending_email: None,
            })),
            Err(error) if is_unique_violation(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The user with this (already normalised) email.
    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email.eq(email))
            .first(conn)
            .optional()
    }

    /// Records that the address was proven, once: true when this call did it (false when it was
    /// verified already, or there is no such user).
    pub fn mark_email_verified(
        conn: &mut DbConnection,
        id: Id,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::email_verified_at.is_null()),
        )
        .set(users::email_verified_at.eq(now))
        .execute(conn)
        .map(|updated| updated == 1)
    }

    /// The user with this id.
    pub fn find(conn: &mut DbConnection, id: Id) -> QueryResult<Option<User>> {
        users::table.find(id).first(conn).optional()
    }

    /// What a guard needs in ONE round trip: the token's user, the blacklist row of its jti and,
    /// for a token that names one (`sid`), its session.
    pub fn find_for_token(
        conn: &mut DbConnection,
        id: Id,
        jti: Id,
        sid: Option<Id>,
    ) -> QueryResult<Option<TokenOwner>> {
        let query = users::table
            .left_join(blacklisted_tokens::table.on(blacklisted_tokens::jti.eq(jti)))
            .left_join(sessions::table.on(sessions::id.nullable().eq(sid)))
            .filter(users::id.eq(id))
            .select((
                users::all_columns,
                blacklisted_tokens::all_columns.nullable(),
                sessions::all_columns.nullable(),
            ));
        // Every join is on a primary key, so one row at most; no `LIMIT ?` (`first`): SQLite
        // re-prepares a statement whose LIMIT is a bound parameter on every execution. Run on the
        // backend's own connection: through the multi-backend wrapper diesel serialises the query
        // again on every request.
        match conn {
            DbConnection::Postgres(pg) => query.get_result(pg).optional(),
            DbConnection::Sqlite(sqlite) => query.get_result(sqlite).optional(),
        }
    }

    /// Rewrites stored emails that are not in [`normalise_email`]'s form (rows from before the
    /// IDNA rule). Only rows with a non-ASCII character are read. When the normalised email
    /// belongs to another user already, the row stays as it is and is reported as a conflict.
    pub fn normalise_stored_emails(conn: &mut DbConnection) -> QueryResult<EmailsNormalised> {
        let candidates = match conn {
            DbConnection::Postgres(_) => "SELECT id, email FROM users WHERE email ~ '[^ -~]'",
            DbConnection::Sqlite(_) => "SELECT id, email FROM users WHERE email GLOB '*[^ -~]*'",
        };
        let rows: Vec<StoredEmail> = diesel::sql_query(candidates).load(conn)?;
        let mut done = EmailsNormalised::default();
        for row in rows {
            let normalised = normalise_email(&row.email);
            if normalised == row.email {
                continue;
            }
            // A savepoint each, so that Postgres's transaction survives a unique violation.
            let updated = conn.transaction(|conn| {
                diesel::update(users::table.find(row.id))
                    .set(users::email.eq(&normalised))
                    .execute(conn)
            });
            match updated {
                Ok(_) => done.updated += 1,
                Err(error) if is_unique_violation(&error) => done.conflicts.push(row.id),
                Err(error) => return Err(error),
            }
        }
        Ok(done)
    }

    /// Replaces the password hash (a rehash at a higher cost).
    pub fn update_password(
        conn: &mut DbConnection,
        id: Id,
        hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::password.eq(hash), users::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    /// Replaces the password hash `expected` with `hash` (a password change): false, and nothing
    /// changes, when the stored hash is no longer `expected` (another change won meanwhile).
    pub fn replace_password(
        conn: &mut DbConnection,
        id: Id,
        expected: &str,
        hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(users::table.find(id).filter(users::password.eq(expected)))
            .set((users::password.eq(hash), users::updated_at.eq(now)))
            .execute(conn)
            .map(|updated| updated == 1)
    }

    /// Rejects every token issued before `now` (`logout?scope=all`).
    pub fn revoke_tokens_issued_before(
        conn: &mut DbConnection,
        id: Id,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::tokens_valid_after.eq(now), users::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }
}
