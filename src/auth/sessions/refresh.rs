//! Refreshing a login: the `/api` token's successor (the grace period, the race window, replays)
//! and the OAuth refresh token's rotation with reuse detection.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{Duration, Utc};

use super::replay::{end_replayed, is_replay, record_oauth_replay};
use super::{alive, record, with_account};
use crate::audit::AuthEvent;
use crate::db;
use crate::error::{AppError, AppResult, AuthFailure};
use crate::jwt::Claims;
use crate::models::{
    Added, BlacklistedToken, Gate, OAuthRefreshToken, RefreshTrip, Rotation, Session, User,
    record_refresh,
};
use crate::state::AppState;

/// `/api/refresh`: the successor's claims for a valid or expired (but refreshable) token; the old
/// jti is blacklisted with its successor. An already refreshed token presented again is a
/// concurrent request inside JWT_REFRESH_RACE_WINDOW (the same successor within the grace period,
/// else 401) and a replay after it: 401, and its whole session ends. The guard's read, the rate
/// limit's hit and the writes are one trip to the database; a token from before sessions takes a
/// second, once it has been judged.
pub async fn refresh(state: &AppState, claims: &Claims, ip: Option<IpAddr>) -> AppResult<Claims> {
    if claims.is_oauth() {
        // Renewed only at POST /oauth/token, with its refresh token: rotation, reuse detection,
        // offline_access and the idle lifetime all live there.
        return Err(AuthFailure::TokenInvalid(
            "An OAuth access token is renewed at POST /oauth/token",
        )
        .into());
    }
    if claims.is_laravels() {
        return super::laravel::exchange(state, claims, ip).await;
    }
    let hit = state.limits.refresh_hit(ip, Instant::now())?;
    let now = Utc::now();
    let successor = state.jwt.successor_claims(claims, now);
    let entry = BlacklistedToken {
        jti: claims.jti,
        user_id: claims.sub,
        expires_at: state.jwt.blacklist_until(claims),
        grace_until: state.jwt.grace_until(now),
        successor_jti: Some(successor.jti),
        successor_iat: Some(successor.iat),
        successor_exp: Some(successor.exp),
        created_at: db::now(),
    };
    let (sid, seen) = (claims.sid, entry.created_at);
    let (trip, entry) = state
        .db
        .run(move |conn| {
            record_refresh(conn, &entry, sid, hit.pending(), Gate::ActiveSession)
                .map(|trip| (trip, entry))
        })
        .await?;
    let RefreshTrip {
        owner,
        admitted,
        mut blacklisted,
    } = trip;
    let alive = alive(state, claims, owner, seen)?;
    admitted.map_err(AppError::TooManyRequests)?;
    let user = &alive.user;
    let user_id = user.id;
    if let Some(previous) = &alive.entry {
        return refreshed_again(state, user, claims, previous, false).await;
    }
    if blacklisted.is_none() {
        // Judged alive, but the trip writes only for a token with an active session.
        let trip = state
            .db
            .run(move |conn| record_refresh(conn, &entry, sid, None, Gate::Judged))
            .await?;
        blacklisted = trip.blacklisted;
    }
    match blacklisted {
        Some(Added::New) => {
            record(
                state,
                AuthEvent::Refreshed {
                    user_id,
                    via: "api",
                },
            );
            Ok(with_account(successor, user))
        }
        // A concurrent refresh of the same token won the race (or a logout did): never a replay.
        Some(Added::Existing(winner)) => refreshed_again(state, user, claims, &winner, true).await,
        // Its user was deleted between the two trips.
        None => Err(AuthFailure::UserNotFound.into()),
    }
}

/// A token that was refreshed already, presented again. Within the grace period: its successor
/// again. Within the race window (concurrent tabs, a retry): 401, and the session stays. Later: a
/// replay — 401, and the session ends, so the chain is dead whoever holds it.
async fn refreshed_again(
    state: &AppState,
    user: &User,
    claims: &Claims,
    previous: &BlacklistedToken,
    lost_a_race: bool,
) -> AppResult<Claims> {
    let now = db::now();
    if let Some((jti, iat, exp)) = previous.successor().filter(|_| previous.in_grace(now)) {
        let successor = state.jwt.recorded_successor(claims, jti, iat, exp);
        return Ok(with_account(successor, user));
    }
    if let (false, true, Some(sid)) = (lost_a_race, is_replay(state, previous, now), claims.sid) {
        end_replayed(state, user.id, sid).await?;
    }
    Err(AuthFailure::TokenBlacklisted.into())
}

/// The OAuth refresh-token grant's rotation of `token` (whose row and `session` the grant
/// checked) into `child`: the child, or `None` when the token was spent already outside the reuse
/// interval — a replay, and the whole family (the session) has ended.
pub async fn rotate_refresh_token(
    state: &AppState,
    token: &OAuthRefreshToken,
    session: &Session,
    child: String,
) -> AppResult<Option<String>> {
    let now = db::now();
    let child_row = OAuthRefreshToken::child_of(token, &child, now);
    let parent_hash = token.token_hash.clone();
    let reuse_interval =
        Duration::seconds(i64::from(state.config.oauth.refresh_reuse_interval_seconds));
    let rotation = state
        .db
        .run(move |conn| {
            OAuthRefreshToken::rotate(conn, &parent_hash, &child_row, reuse_interval, now)
        })
        .await?;
    let (user_id, session_id) = (session.user_id, session.id);
    match rotation {
        Rotation::Rotated | Rotation::Reused => {
            record(
                state,
                AuthEvent::Refreshed {
                    user_id,
                    via: "oauth",
                },
            );
            Ok(Some(child))
        }
        Rotation::Replayed => {
            record_oauth_replay(state, user_id, session_id);
            Ok(None)
        }
    }
}
