//! Ending logins: logout, one session from the sessions list, every session of a user, and every
//! session but a renewed one for the caller ("sign out everywhere else").

use chrono::Utc;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::{
    Audience, Device, Presented, Standing, confirm_password, end_replayed, new_session, record,
};
use crate::audit::AuthEvent;
use crate::db::{self, DbConnection, Id};
use crate::error::{AppError, AppResult, AuthFailure};
use crate::jwt::Claims;
use crate::models::{self, BlacklistedToken, Ended, Session, User};
use crate::state::AppState;

/// Logout with the token `claims` of `user` (`everywhere`: every session of the user): the token
/// is blacklisted and its session ends, with every token of that login. A `replayed` token (one
/// that was refreshed, back after the race window) ends its session as a replay does.
pub async fn logout(
    state: &AppState,
    user: &User,
    claims: &Claims,
    replayed: bool,
    everywhere: bool,
) -> AppResult<()> {
    let user_id = user.id;
    if let (true, Some(sid)) = (replayed, claims.sid) {
        end_replayed(state, user_id, sid).await?;
    }
    let why = if replayed {
        Ended::RefreshReuse
    } else {
        Ended::Logout
    };
    blacklist_and_end(state, claims, why, everywhere).await?;
    record(
        state,
        AuthEvent::LoggedOut {
            user_id,
            everywhere,
        },
    );
    Ok(())
}

/// Ends the session `id` of `user` from the sessions list: false when the user has no such
/// active session. Ending another session than the caller's (`claims`' own) needs the password,
/// so a stolen token cannot sign the owner out of each new login while keeping its own.
pub async fn end_session(
    state: &AppState,
    user: &User,
    claims: &Claims,
    id: Id,
    password: Option<String>,
    device: &Device,
) -> AppResult<bool> {
    claims.first_party_only()?;
    if claims.sid != Some(id) {
        confirm_password(state, user, password, device.ip, "sessions").await?;
    }
    let user_id = user.id;
    let ended = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                Session::revoke_of_user(conn, id, user_id, Ended::Deleted, db::now())
            })
        })
        .await?;
    if ended {
        record(state, AuthEvent::SessionsEnded { user_id, ended: 1 });
    }
    Ok(ended)
}

/// Every session of `user` ends, the caller's too, and every token from before sessions
/// (`logout?scope=all` from the sessions list); a replaced caller's (by its `standing`) ends as a
/// replay. How many sessions ended.
pub async fn end_all(
    state: &AppState,
    user: &User,
    claims: &Claims,
    standing: Standing,
) -> AppResult<usize> {
    claims.first_party_only()?;
    let user_id = user.id;
    let mut ended = 0;
    let header_mode = state.config.refresh_cookie.is_none();
    if let (true, Some(sid)) = (
        standing.is_theft(Presented::SignOut, header_mode),
        claims.sid,
    ) {
        ended += usize::from(end_replayed(state, user_id, sid).await?);
    }
    ended += state
        .db
        .run(move |conn| {
            let now = db::now();
            conn.write_transaction(|conn| {
                models::end_every_login(conn, user_id, None, Ended::LogoutEverywhere, now)
            })
        })
        .await?;
    record(state, AuthEvent::SessionsEnded { user_id, ended });
    Ok(ended)
}

/// "Sign out everywhere else", which needs the password: every other session of `user` ends, and
/// so does the caller's, for a fresh one on the same device, so no copy of the caller's token
/// outlives it. How many other sessions ended, and the new session's claims.
pub async fn end_others(
    state: &AppState,
    user: &User,
    claims: &Claims,
    standing: Standing,
    password: Option<String>,
    device: &Device,
) -> AppResult<(usize, Claims)> {
    claims.first_party_only()?;
    // A replaced token cannot keep its caller signed in: refused, and after the race window its
    // session ends as a replay's does (the rule of any other route).
    if standing != Standing::Usable {
        let header_mode = state.config.refresh_cookie.is_none();
        if let (true, Some(sid)) = (
            standing.is_theft(Presented::Access, header_mode),
            claims.sid,
        ) {
            end_replayed(state, user.id, sid).await?;
        }
        return Err(AuthFailure::TokenBlacklisted.into());
    }
    confirm_password(state, user, password, device.ip, "sessions").await?;
    let (user_id, caller) = (user.id, claims.sid);
    let renewed = new_session(
        &state.config,
        user_id,
        Audience::Api,
        super::proof_of(claims),
        device,
        db::now(),
    );
    let new_claims = super::access_claims(state, &renewed, user, Utc::now());
    let ended = state
        .db
        .run(move |conn| {
            refusable(conn, |conn, now| {
                renew_session(conn, user_id, caller, &renewed, Ended::Deleted, now)
            })
        })
        .await?
        .map_err(AppError::from)?;
    record(state, AuthEvent::SessionsEnded { user_id, ended });
    Ok((ended, new_claims))
}

/// Why a renewal changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// The caller's session ended meanwhile (a second click, a sign-out, a replay): a dead
    /// session is never renewed.
    SessionEnded,
    /// The password changed meanwhile: this request checked the old one.
    PasswordChanged,
}

impl From<Refused> for AppError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::SessionEnded => AuthFailure::TokenBlacklisted.into(),
            Refused::PasswordChanged => {
                AppError::validation("current_password", "The password is incorrect.")
            }
        }
    }
}

/// Runs `change` in a write transaction at `now`; a [`Refused`] rolls everything back.
pub(super) fn refusable<T>(
    conn: &mut DbConnection,
    change: impl FnOnce(&mut DbConnection, NaiveDateTime) -> QueryResult<Result<T, Refused>>,
) -> QueryResult<Result<T, Refused>> {
    let mut refused = None;
    let now = db::now();
    let outcome = conn.write_transaction(|conn| match change(conn, now)? {
        Ok(value) => Ok(value),
        Err(why) => {
            refused = Some(why);
            Err(diesel::result::Error::RollbackTransaction)
        }
    });
    match (outcome, refused) {
        (_, Some(why)) => Ok(Err(why)),
        (outcome, None) => outcome.map(Ok),
    }
}

/// Inside a write transaction: the caller's session ends as renewed (refused if it had ended),
/// every other session of `user_id` and every token from before sessions end with `why`, and
/// `renewed` starts. How many sessions other than the caller's ended.
pub(super) fn renew_session(
    conn: &mut DbConnection,
    user_id: Id,
    caller: Option<Id>,
    renewed: &Session,
    why: Ended,
    now: NaiveDateTime,
) -> QueryResult<Result<usize, Refused>> {
    if let Some(caller) = caller
        && !Session::revoke(conn, caller, Ended::Renewed, now)?
    {
        return Ok(Err(Refused::SessionEnded));
    }
    let ended = models::end_every_login(conn, user_id, caller, why, now)?;
    Session::create(conn, renewed)?;
    Ok(Ok(ended))
}

/// RFC 7009: the OAuth client `client_id` revokes its access token `claims`: the token is
/// blacklisted and its session ends.
pub async fn revoke_access_token(
    state: &AppState,
    client_id: Id,
    claims: &Claims,
) -> AppResult<()> {
    blacklist_and_end(state, claims, Ended::Revoked, false).await?;
    record(state, AuthEvent::Revoked { client_id });
    Ok(())
}

/// RFC 7009: the OAuth client `client_id` revokes a refresh token, and with it its whole family,
/// the session `session_id`.
pub async fn revoke_session(state: &AppState, client_id: Id, session_id: Id) -> AppResult<()> {
    let ended = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                Session::revoke(conn, session_id, Ended::Revoked, db::now())
            })
        })
        .await?;
    if ended {
        record(state, AuthEvent::Revoked { client_id });
    }
    Ok(())
}

/// The token `claims` is blacklisted and its session ends with `why` (`everywhere`: every
/// session of its user too), in one transaction.
async fn blacklist_and_end(
    state: &AppState,
    claims: &Claims,
    why: Ended,
    everywhere: bool,
) -> AppResult<()> {
    let now = db::now();
    let entry = BlacklistedToken::revoked(
        claims.jti,
        claims.sub,
        state.jwt.blacklist_until(claims),
        now,
    );
    let sid = claims.sid;
    state
        .db
        .run(move |conn| models::revoke_access_token(conn, entry, sid, why, everywhere, now))
        .await
}
