//! The Laravel app's tokens through a switch-over (`jwt::laravel`): `/api/refresh` exchanges one
//! for a login of ours — a new session whose refresh window still ends where tymon's would have
//! (the old token's `iat` + JWT_REFRESH_TTL) — and blacklists it, in one transaction.

use std::net::IpAddr;
use std::time::Instant;

use chrono::Utc;

use super::owner::issued_before;
use super::{Audience, Device, access_claims, alive, new_session, record};
use crate::audit::AuthEvent;
use crate::db;
use crate::error::{AppResult, AuthFailure};
use crate::jwt::{Claims, Proof};
use crate::models::{Added, BlacklistedToken, Session, find_for_laravel_token, lock_logins_of};
use crate::state::AppState;

/// The claims of our token for the Laravel token `claims`, which is blacklisted; 401 for one
/// blacklisted already (here, or by the old app) or whose user or login is gone — also when that
/// happens while the exchange runs. The refresh limit counts it after those checks, as it counts
/// a refresh of ours.
pub async fn exchange(state: &AppState, claims: &Claims, ip: Option<IpAddr>) -> AppResult<Claims> {
    let (legacy_id, jti) = (claims.laravel_sub.clone().unwrap_or_default(), claims.jti);
    let owner = state
        .db
        .run(move |conn| find_for_laravel_token(conn, &legacy_id, jti))
        .await?;
    let mut claims = claims.clone();
    if let Some((user, ..)) = &owner {
        claims.sub = user.id;
    }
    let now = db::now();
    let user = alive(state, &claims, owner, now)?;
    if user.entry.is_some() {
        return Err(AuthFailure::TokenBlacklisted.into());
    }
    let hit = state.limits.refresh_hit(ip, Instant::now())?;
    state.limits.count(hit).await?;
    let user_id = user.user.id;
    let device = Device {
        user_agent: None,
        ip,
    };
    let session = new_session(
        &state.config,
        user_id,
        Audience::Api,
        Proof::Password,
        &device,
        now,
    );
    let mut ours = access_claims(state, &session, &user.user, Utc::now());
    ours.orig_iat = Some(claims.orig_iat());
    let entry = BlacklistedToken::revoked(jti, user_id, state.jwt.blacklist_until(&claims), now);
    let judged = claims.clone();
    let added = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                // Read again under the user's lock: an end of every login since the read counts.
                match lock_logins_of(conn, user_id)? {
                    None => return Ok(None),
                    Some(Some(cutoff)) if issued_before(&judged, cutoff) => return Ok(None),
                    Some(_) => {}
                }
                let added = BlacklistedToken::add(conn, &entry)?;
                if let Added::New = added {
                    Session::create(conn, &session)?;
                }
                Ok(Some(added))
            })
        })
        .await?;
    match added {
        None => Err(AuthFailure::TokenBlacklisted.into()),
        Some(Added::New) => {
            record(
                state,
                AuthEvent::Refreshed {
                    user_id,
                    via: "laravel",
                },
            );
            Ok(ours)
        }
        // A concurrent exchange of the same token won.
        Some(Added::Existing(_)) => Err(AuthFailure::TokenBlacklisted.into()),
    }
}
