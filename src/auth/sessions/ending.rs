//! Ending logins: logout, one session from the sessions list, every session of a user, and every
//! session but a renewed one for the caller ("sign out everywhere else").

use chrono::Utc;

use super::{Audience, Device, confirm_password, end_replayed, new_session, record};
use crate::audit::AuthEvent;
use crate::db::{self, Id};
use crate::error::{AppResult, AuthFailure};
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
/// (`logout?scope=all` from the sessions list); a `replayed` caller is recorded as a replay. How
/// many sessions ended.
pub async fn end_all(
    state: &AppState,
    user: &User,
    claims: &Claims,
    replayed: bool,
) -> AppResult<usize> {
    let user_id = user.id;
    if let (true, Some(sid)) = (replayed, claims.sid) {
        end_replayed(state, user_id, sid).await?;
    }
    let ended = state
        .db
        .run(move |conn| {
            let now = db::now();
            conn.write_transaction(|conn| {
                User::revoke_tokens_issued_before(conn, user_id, now)?;
                Session::revoke_all_of_user(conn, user_id, None, Ended::LogoutEverywhere, now)
            })
        })
        .await?;
    record(state, AuthEvent::SessionsEnded { user_id, ended });
    Ok(ended)
}

/// "Sign out everywhere else", which needs the password: every other session of `user` ends, and
/// so does the caller's, for a fresh one on the same client and device, so no copy of the
/// caller's token outlives it. How many other sessions ended, and the new session's claims.
pub async fn end_others(
    state: &AppState,
    user: &User,
    claims: &Claims,
    replayed: bool,
    password: Option<String>,
    device: &Device,
) -> AppResult<(usize, Claims)> {
    // A replaced token cannot keep its caller signed in: the replay ends its session instead.
    if let (true, Some(sid)) = (replayed, claims.sid) {
        end_replayed(state, user.id, sid).await?;
        return Err(AuthFailure::TokenBlacklisted.into());
    }
    confirm_password(state, user, password, device.ip, "sessions").await?;
    let (user_id, caller) = (user.id, claims.sid);
    let renewed = renewed_session(state, claims, device);
    let new_claims = super::access_claims(&state.jwt, &renewed, Utc::now());
    let ended = state
        .db
        .run(move |conn| {
            let now = db::now();
            conn.write_transaction(|conn| {
                let ended = renew_session(conn, user_id, caller, &renewed, Ended::Deleted, now)?;
                User::revoke_tokens_issued_before(conn, user_id, now)?;
                Ok(ended)
            })
        })
        .await?;
    record(state, AuthEvent::SessionsEnded { user_id, ended });
    Ok((ended, new_claims))
}

/// The session that replaces the caller's (`claims`) on `device`: the same client and scopes.
pub(super) fn renewed_session(state: &AppState, claims: &Claims, device: &Device) -> Session {
    let audience = match claims.client_id {
        None => Audience::Api,
        Some(client_id) => Audience::OAuth {
            client_id,
            scopes: claims.scope.clone().unwrap_or_default(),
        },
    };
    new_session(&state.config, claims.sub, audience, device, db::now())
}

/// Inside a write transaction: every session of `user_id` but `caller` ends with `why`, the
/// caller's ends as renewed, and `renewed` starts. How many sessions other than the caller's ended.
pub(super) fn renew_session(
    conn: &mut crate::db::DbConnection,
    user_id: Id,
    caller: Option<Id>,
    renewed: &Session,
    why: Ended,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<usize> {
    let ended = Session::revoke_all_of_user(conn, user_id, caller, why, now)?;
    if let Some(caller) = caller {
        Session::revoke(conn, caller, Ended::Renewed, now)?;
    }
    Session::create(conn, renewed)?;
    Ok(ended)
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
    state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                Session::revoke(conn, session_id, Ended::Revoked, db::now()).map(drop)
            })
        })
        .await?;
    record(state, AuthEvent::Revoked { client_id });
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
