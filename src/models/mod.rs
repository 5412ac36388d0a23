//! Eloquent's place: rows as structs, queries as associated functions taking `conn` first.

pub mod account;
pub mod blacklisted_token;
pub mod laravel_user;
pub mod oauth_client;
pub mod oauth_code;
pub mod oauth_refresh_token;
pub mod password_reset;
pub mod rate_limit_counter;
pub mod refresh;
pub mod session;
pub mod signing_key;
pub mod two_factor;
pub mod user;
pub mod user_directory;

pub use account::{CustomClaims, Roles};
pub use blacklisted_token::{Added, BlacklistedToken};
pub use laravel_user::{
    Imported, LaravelUser, blacklist_laravel_token, find_for_laravel_token, lock_logins_of,
};
pub use oauth_client::OAuthClient;
pub use oauth_code::{AuthCode, AuthorizationSession, Consent};
pub use oauth_refresh_token::{OAuthRefreshToken, Rotation};
pub use password_reset::PasswordReset;
pub use rate_limit_counter::Hit;
pub use refresh::{Gate, RefreshTrip, record_refresh};
pub use session::{Ended, NewLogin, Session};
pub use signing_key::SigningKey;
pub use two_factor::{RecoveryCode, TwoFactorChallenge};
pub use user::{EmailsNormalised, NewUser, TokenOwner, User, normalise_email};
pub use user_directory::UserPage;

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::{DbConnection, Id};

/// Logout and RFC 7009's revocation of an access token, in one write transaction: `token` is
/// blacklisted, and its `session` ends with `why` — with it every token of that login, whoever
/// holds them. With `everywhere`, every session of the user ends too, and every token without a
/// session (issued before sessions existed) issued until `now`.
pub fn revoke_access_token(
    conn: &mut DbConnection,
    token: BlacklistedToken,
    session: Option<Id>,
    why: Ended,
    everywhere: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    conn.write_transaction(|conn| {
        let user_id = token.user_id;
        BlacklistedToken::revoke(conn, token, session.is_none(), now)?;
        if let Some(session) = session {
            Session::revoke(conn, session, why, now)?;
        }
        if everywhere {
            end_every_login(conn, user_id, None, Ended::LogoutEverywhere, now)?;
        }
        Ok(())
    })
}

/// "End every login of a user", written once: every active session of `user_id` but `except`
/// ends with `why` (with its refresh tokens), every open two-factor challenge is dropped, and
/// every token from before sessions issued until `now` is rejected. Call inside a write transaction; how many sessions ended.
pub fn end_every_login(
    conn: &mut DbConnection,
    user_id: Id,
    except: Option<Id>,
    why: Ended,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    User::revoke_tokens_issued_before(conn, user_id, now)?;
    // A right password waiting for its code is a login too, and so is a browser's sign-in at
    // /oauth/authorize.
    TwoFactorChallenge::delete_of_user(conn, user_id)?;
    AuthorizationSession::delete_of_user(conn, user_id)?;
    Session::revoke_all_of_user(conn, user_id, except, why, now)
}

/// Rows past their lifetimes that a prune deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub blacklisted_tokens: usize,
    pub sessions: usize,
    pub oauth_refresh_tokens: usize,
    /// `previous` signing keys retired: every token they signed is past its refresh window.
    pub signing_keys_retired: usize,
    /// Tokens the Laravel app had logged out (`users:import --blacklist`) that could no longer
    /// be used anyway.
    pub laravel_blacklist: usize,
    /// Two-factor challenges past their five minutes.
    pub two_factor_challenges: usize,
    /// Authorization codes past their minute, and browser sign-ins past their ten.
    pub authorization_codes: usize,
}

/// What a prune may delete, as instants: rows on the far side of each are gone.
#[derive(Debug, Clone, Copy)]
pub struct PruneCutoffs {
    /// Blacklist rows whose `expires_at` is before this…
    pub blacklist_expired_before: NaiveDateTime,
    /// …and that were written before this (their tokens' refresh window, by today's settings, is over).
    pub blacklist_written_before: NaiveDateTime,
    /// Sessions that expired or were revoked before this (their refresh tokens go with them).
    pub sessions_ended_before: NaiveDateTime,
    /// OAuth refresh tokens created before this (unused that long, or long since rotated).
    pub oauth_idle_before: NaiveDateTime,
    /// `previous` signing keys that stopped signing before this: retired.
    pub keys_unused_since: NaiveDateTime,
    /// The prune's own time.
    pub now: NaiveDateTime,
}

/// Deletes what `cutoffs` allows, `batch` rows per statement with `pause` between statements (so a
/// prune of a million rows never starves the requests running beside it).
pub fn prune_expired(
    conn: &mut DbConnection,
    cutoffs: &PruneCutoffs,
    batch: i64,
    pause: Duration,
) -> QueryResult<Pruned> {
    Ok(Pruned {
        blacklisted_tokens: in_batches(conn, batch, pause, |c| {
            BlacklistedToken::prune_batch(
                c,
                cutoffs.blacklist_expired_before,
                cutoffs.blacklist_written_before,
                batch,
            )
        })?,
        sessions: in_batches(conn, batch, pause, |c| {
            Session::prune_batch(c, cutoffs.sessions_ended_before, batch)
        })?,
        oauth_refresh_tokens: in_batches(conn, batch, pause, |c| {
            OAuthRefreshToken::prune_batch(c, cutoffs.oauth_idle_before, batch)
        })?,
        signing_keys_retired: SigningKey::retire_stale(
            conn,
            cutoffs.keys_unused_since,
            cutoffs.now,
        )?,
        laravel_blacklist: laravel_user::prune_blacklist(conn, cutoffs.blacklist_expired_before)?,
        two_factor_challenges: in_batches(conn, batch, pause, |c| {
            TwoFactorChallenge::prune_batch(c, cutoffs.now, batch)
        })?,
        authorization_codes: in_batches(conn, batch, pause, |c| {
            // Kept past their minute so that a code presented again still ends what it started.
            AuthCode::prune_batch(c, cutoffs.oauth_idle_before, batch)
        })? + AuthorizationSession::prune(conn, cutoffs.now)?,
    })
}

/// Repeats `one_batch` until it deletes fewer than `batch` rows, pausing between runs.
fn in_batches(
    conn: &mut DbConnection,
    batch: i64,
    pause: Duration,
    mut one_batch: impl FnMut(&mut DbConnection) -> QueryResult<usize>,
) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let deleted = one_batch(conn)?;
        total += deleted;
        if deleted < batch as usize {
            return Ok(total);
        }
        std::thread::sleep(pause);
    }
}
