//! RP-Initiated Logout 1.0's part in a login's life: the session an ID token names ends, and the
//! browser's sign-in at `/oauth/authorize` with it.

use super::record;
use crate::audit::AuthEvent;
use crate::crypto::sha256_hex;
use crate::db::{self, Id};
use crate::error::AppResult;
use crate::models::{AuthorizationSession, Ended, Session};
use crate::state::AppState;

/// What an `id_token_hint` names, as far as it is known.
#[derive(Debug, Clone, Copy)]
pub struct SignedOut {
    pub user_id: Id,
    /// The session the ID token was issued with (`sid`).
    pub session_id: Option<Id>,
}

/// Signs the browser out: the session `hinted` names ends (its tokens are refused at their next
/// request), and the browser sign-in whose cookie holds `browser` is deleted — with a hint, only
/// when it is the hinted user's (a browser signed in as someone else stays so) — in one
/// transaction.
pub async fn sign_out_browser(
    state: &AppState,
    hinted: Option<SignedOut>,
    browser: Option<String>,
) -> AppResult<()> {
    let session = hinted.and_then(|hinted| hinted.session_id.map(|id| (id, hinted.user_id)));
    if session.is_none() && browser.is_none() {
        return Ok(());
    }
    let browser_hash = browser.map(|value| sha256_hex(value.as_bytes()));
    let user_id = hinted.map(|hinted| hinted.user_id);
    let ended = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                if let Some(id_hash) = &browser_hash {
                    AuthorizationSession::delete(conn, id_hash, user_id)?;
                }
                match session {
                    Some((id, user_id)) => {
                        Session::revoke_of_user(conn, id, user_id, Ended::Logout, db::now())
                    }
                    None => Ok(false),
                }
            })
        })
        .await?;
    if let (true, Some(hinted)) = (ended, hinted) {
        record(
            state,
            AuthEvent::LoggedOut {
                user_id: hinted.user_id,
                everywhere: false,
            },
        );
    }
    Ok(())
}
