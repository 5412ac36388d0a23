//! Whether a token's login is alive, from the one read of its user, blacklist row and session:
//! the checks every guard and the refresh's single trip share (tymon's `JWTGuard::user()` with the
//! blacklist and Laravel's `logoutOtherDevices`).

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{Standing, standing};
use crate::error::{AppResult, AuthFailure};
use crate::jwt::Claims;
use crate::models::{BlacklistedToken, Session, TokenOwner, User};
use crate::state::AppState;

/// A token whose user exists and whose login has not ended, with what its blacklist row makes of
/// it (a blacklisted token is refused by the guard that reads `standing`, not here).
#[derive(Debug)]
pub struct Alive {
    pub user: User,
    /// The token's blacklist row, when it was refreshed or logged out.
    pub entry: Option<BlacklistedToken>,
    /// The token's session (none for a token from before sessions).
    pub session: Option<Session>,
    pub standing: Standing,
}

/// Judges `claims` by `owner` (the read; `None`: no such user) at `now`: 401 when the user is gone
/// or disabled, or the login ended (its session, or for a token without one, `logout?scope=all` after it).
pub fn alive(
    state: &AppState,
    claims: &Claims,
    owner: Option<TokenOwner>,
    now: NaiveDateTime,
) -> AppResult<Alive> {
    let (user, entry, session) = owner.ok_or(AuthFailure::UserNotFound)?;
    if user.is_disabled() {
        return Err(AuthFailure::UserDisabled.into());
    }
    // Tokens from before sessions carry no sid: `logout?scope=all` reaches them by time.
    let revoked_everywhere = claims.sid.is_none()
        && user
            .tokens_valid_after
            .is_some_and(|cutoff| issued_before(claims, cutoff));
    if revoked_everywhere {
        return Err(AuthFailure::TokenBlacklisted.into());
    }
    let session_ended = claims.sid.is_some() && !session.as_ref().is_some_and(|s| s.is_active(now));
    if session_ended {
        return Err(AuthFailure::TokenBlacklisted.into());
    }
    let standing = standing(state, claims, entry.as_ref(), now);
    Ok(Alive {
        user,
        entry,
        session,
        standing,
    })
}

/// Whether the token belongs to a login older than `cutoff` or was itself issued before it
/// (to the millisecond, from its UUIDv7 jti; a token of the same millisecond counts as before: a
/// login right after `logout?scope=all` takes at least a bcrypt check, so it is always later).
pub(super) fn issued_before(claims: &Claims, cutoff: NaiveDateTime) -> bool {
    let cutoff: DateTime<Utc> = cutoff.and_utc();
    claims.orig_iat() < cutoff.timestamp() || claims.issued_at_ms() <= cutoff.timestamp_millis()
}
