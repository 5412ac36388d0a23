//! Reuse detection: what a blacklist row makes of a token presented again, where that is theft,
//! and ending the session when it is (docs/tokens.md, "Reuse detection").

use chrono::NaiveDateTime;

use super::record;
use crate::audit::{self, AuthEvent};
use crate::db::{self, Id};
use crate::error::AppResult;
use crate::jwt::Claims;
use crate::models::{BlacklistedToken, Ended, Session};
use crate::state::AppState;

/// What a token's blacklist row makes of it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not blacklisted, or inside its grace period.
    Usable,
    /// Refreshed (it has a successor) and past its grace, with a session to end; `after_window`
    /// once JWT_REFRESH_RACE_WINDOW has passed since the grace ended, when no concurrent request
    /// of its own client can still be carrying it.
    Replaced { after_window: bool },
    /// Logged out, or replaced without a session (a token from before sessions).
    Blacklisted,
}

/// Where a token was presented, for the replay rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// Any guarded route but these two.
    Access,
    /// `logout`, which ends the token's session anyway.
    Logout,
    /// `DELETE /sessions`, which ends every session anyway.
    SignOut,
}

/// The standing of the token `claims`, whose blacklist row is `entry`, at `now`.
pub fn standing(
    state: &AppState,
    claims: &Claims,
    entry: Option<&BlacklistedToken>,
    now: NaiveDateTime,
) -> Standing {
    match entry {
        None => Standing::Usable,
        Some(entry) if entry.in_grace(now) => Standing::Usable,
        Some(entry) if entry.successor().is_some() && claims.sid.is_some() => Standing::Replaced {
            after_window: is_replay(state, entry, now),
        },
        Some(_) => Standing::Blacklisted,
    }
}

impl Standing {
    /// Whether presenting the token `at` a route is evidence of theft that ends its session. In
    /// header mode a client never keeps a replaced token; in cookie mode tabs keep the access
    /// token they had while another tab refreshes through the shared cookie, so only logout
    /// (and `/refresh`, see `refresh`) judge there. Logout and signing out everywhere end the
    /// session anyway, so for them the race window does not matter.
    pub fn is_theft(self, at: Presented, header_mode: bool) -> bool {
        match (self, at) {
            (Self::Replaced { after_window }, Presented::Access) => header_mode && after_window,
            (Self::Replaced { .. }, Presented::Logout) => true,
            (Self::Replaced { .. }, Presented::SignOut) => header_mode,
            _ => false,
        }
    }
}

/// Whether a token whose blacklist row is `entry`, presented `now`, is a replay: it was refreshed
/// (it has a successor, unlike a logged-out token), and the race window has passed since its
/// grace ended (concurrent requests of one client carry it until then).
pub(super) fn is_replay(state: &AppState, entry: &BlacklistedToken, now: NaiveDateTime) -> bool {
    let replaced = entry.created_at.max(entry.grace_until);
    entry.successor().is_some() && !entry.in_grace(now) && replaced + state.jwt.race_window() <= now
}

/// A replaced token came back: its session ends, whoever holds the chain, and the reuse is
/// recorded in the same blocking call as the commit, so a request dropped meanwhile cannot lose
/// the audit line. Whether this call ended it (not when it had ended already).
pub async fn end_replayed(state: &AppState, user_id: Id, session_id: Id) -> AppResult<bool> {
    let now = db::now();
    let metrics = state.metrics.clone();
    state
        .db
        .run(move |conn| {
            let ended = conn.write_transaction(|conn| {
                Session::revoke(conn, session_id, Ended::RefreshReuse, now)
            })?;
            if ended {
                audit::record(&metrics, &replay_event(user_id, session_id, "api"));
            }
            Ok(ended)
        })
        .await
}

/// The event of a replay that ended `session_id`.
pub(super) fn replay_event(user_id: Id, session_id: Id, via: audit::Via) -> AuthEvent {
    AuthEvent::RefreshReused {
        user_id,
        session_id,
        via,
    }
}

/// Records an OAuth refresh token's replay (its family ended in the rotation's transaction).
pub(super) fn record_oauth_replay(state: &AppState, user_id: Id, session_id: Id) {
    record(state, replay_event(user_id, session_id, "oauth"));
}
