//! The authorization code grant's part in a login's life (Passport's `AuthorizationController`
//! and `AuthCodeGrant`): a browser's sign-in at `/oauth/authorize`, the code it is answered with,
//! the code's redemption into a session, a code presented twice, and a consent withdrawn.

use chrono::{Duration, NaiveDateTime, Utc};

use super::{Audience, Device, access_claims, new_session, record};
use crate::audit::AuthEvent;
use crate::crypto::{random_token, sha256_hex};
use crate::db::{self, Id};
use crate::error::{AppError, AppResult};
use crate::jwt::{Claims, Proof};
use crate::models::{
    AuthCode, AuthorizationSession, Consent, Ended, OAuthClient, OAuthRefreshToken, Session, User,
};
use crate::state::AppState;

/// How long a browser's sign-in at `/oauth/authorize` lasts.
pub const BROWSER_SIGN_IN_LIFETIME: Duration = Duration::minutes(10);
/// How long an authorization code may be redeemed.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

/// A browser signed in at `/oauth/authorize`: the value of its cookie, and the row kept of it.
#[derive(Debug, Clone)]
pub struct BrowserSignIn {
    pub cookie: String,
    pub session: AuthorizationSession,
}

impl BrowserSignIn {
    /// A new sign-in of `user_id`, proven by `proof`, starting `now` (not stored yet).
    pub(super) fn new(user_id: Id, proof: Proof, now: NaiveDateTime) -> AppResult<Self> {
        let cookie = random_token().map_err(|e| AppError::Internal(e.into()))?;
        let session = AuthorizationSession {
            id_hash: sha256_hex(cookie.as_bytes()),
            user_id,
            amr: proof.amr().to_owned(),
            created_at: now,
            expires_at: now + BROWSER_SIGN_IN_LIFETIME,
        };
        Ok(Self { cookie, session })
    }
}

/// A browser's sign-in of `user_id`, proven by `proof`.
pub async fn sign_in_browser(
    state: &AppState,
    user_id: Id,
    proof: Proof,
) -> AppResult<BrowserSignIn> {
    let signed_in = BrowserSignIn::new(user_id, proof, db::now())?;
    let row = signed_in.session.clone();
    state
        .db
        .run(move |conn| AuthorizationSession::create(conn, &row))
        .await?;
    Ok(signed_in)
}

/// The live sign-in whose cookie holds `value`.
pub async fn browser_sign_in(
    state: &AppState,
    value: &str,
) -> AppResult<Option<AuthorizationSession>> {
    let id_hash = sha256_hex(value.as_bytes());
    state
        .db
        .run(move |conn| AuthorizationSession::find_live(conn, &id_hash, db::now()))
        .await
}

/// What a code is bound to, besides the user and how they signed in.
#[derive(Debug, Clone)]
pub struct CodeBinding {
    pub client_id: Id,
    pub redirect_uri: String,
    pub redirect_uri_sent: bool,
    pub code_challenge: String,
    pub scopes: String,
    pub resource: Option<String>,
    pub nonce: Option<String>,
}

/// A new authorization code for `signed_in`'s user: 256 random bits, stored as their SHA-256,
/// redeemable once within [`CODE_LIFETIME`].
pub async fn issue_code(
    state: &AppState,
    signed_in: &AuthorizationSession,
    binding: CodeBinding,
) -> AppResult<String> {
    let code = random_token().map_err(|e| AppError::Internal(e.into()))?;
    let now = db::now();
    let row = AuthCode {
        code_hash: sha256_hex(code.as_bytes()),
        client_id: binding.client_id,
        user_id: signed_in.user_id,
        redirect_uri: binding.redirect_uri,
        redirect_uri_sent: binding.redirect_uri_sent,
        code_challenge: binding.code_challenge,
        scopes: binding.scopes,
        resource: binding.resource,
        nonce: binding.nonce,
        amr: signed_in.amr.clone(),
        created_at: now,
        expires_at: now + CODE_LIFETIME,
        used_at: None,
        session_id: None,
        auth_time: Some(signed_in.created_at),
    };
    state
        .db
        .run(move |conn| AuthCode::create(conn, &row))
        .await?;
    Ok(code)
}

/// Redeems `code` (checked by the grant) for `client`: the session starts with the sign-in's
/// `amr`, with the first refresh token `refresh_token` if any, and the code is marked used with
/// it, in one transaction. `None` when the code had been redeemed already: then the session it
/// started ends, with every token issued from it (RFC 6749 §4.1.2). `AccountDisabled` when its
/// user is disabled (or gone) by now.
pub async fn redeem_code(
    state: &AppState,
    code: &AuthCode,
    client: &OAuthClient,
    device: &Device,
    refresh_token: Option<&str>,
) -> AppResult<Option<Claims>> {
    let audience = Audience::OAuth {
        client_id: client.id,
        scopes: code.scopes.clone(),
        resource: code.resource.clone(),
    };
    let proof = Proof::from_amr(&code.amr);
    let now = db::now();
    let mut session = new_session(&state.config, code.user_id, audience, proof, device, now);
    // The login began when the user signed in at /oauth/authorize: its ID tokens' auth_time,
    // kept by every refresh.
    session.created_at = code.auth_time.map_or(now, |signed_in| signed_in.min(now));
    let family =
        refresh_token.map(|token| OAuthRefreshToken::first_of(&session, client.id, token, now));
    let (code_hash, started, user_id) = (code.code_hash.clone(), session.clone(), code.user_id);
    let redeemed = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                // The account as it is now: its roles go into the token, and a disabled one stops.
                let user = User::find(conn, user_id)?.filter(|user| !user.is_disabled());
                let Some(user) = user else {
                    return Ok(Redemption::Refused);
                };
                if !AuthCode::redeem(conn, &code_hash, started.id, db::now())? {
                    return Ok(Redemption::Used);
                }
                Session::create(conn, &started)?;
                if let Some(family) = &family {
                    OAuthRefreshToken::create(conn, family)?;
                }
                Ok(Redemption::Redeemed(Box::new(user)))
            })
        })
        .await?;
    match redeemed {
        Redemption::Redeemed(user) => Ok(Some(access_claims(state, &session, &user, Utc::now()))),
        Redemption::Refused => Err(AppError::AccountDisabled),
        Redemption::Used => {
            end_replayed_code(state, code).await?;
            Ok(None)
        }
    }
}

/// What a code's redemption came to.
enum Redemption {
    Redeemed(Box<User>),
    /// The code had been redeemed already.
    Used,
    /// Its user is disabled, or gone.
    Refused,
}

/// A code presented again: the session its first redemption started ends.
pub async fn end_replayed_code(state: &AppState, code: &AuthCode) -> AppResult<()> {
    let code_hash = code.code_hash.clone();
    let ended = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                let Some(session) = AuthCode::find(conn, &code_hash)?.and_then(|c| c.session_id)
                else {
                    return Ok(None);
                };
                Session::revoke(conn, session, Ended::CodeReuse, db::now())?;
                Ok(Some(session))
            })
        })
        .await?;
    if let Some(session_id) = ended {
        record(
            state,
            AuthEvent::RefreshReused {
                user_id: code.user_id,
                session_id,
                via: "authorization_code",
            },
        );
    }
    Ok(())
}

/// The scopes `user_id` allowed `client_id` (space-separated), if a consent is remembered.
pub async fn consented_scopes(
    state: &AppState,
    user_id: Id,
    client_id: Id,
) -> AppResult<Option<String>> {
    let consent = state
        .db
        .read(move |conn| Consent::find(conn, user_id, client_id))
        .await?;
    Ok(consent.map(|consent| consent.scopes))
}

/// Remembers that `user_id` allowed `client_id` the `scopes`.
pub async fn remember_consent(
    state: &AppState,
    user_id: Id,
    client_id: Id,
    scopes: String,
) -> AppResult<()> {
    let consent = Consent {
        user_id,
        client_id,
        scopes,
        created_at: db::now(),
    };
    state
        .db
        .run(move |conn| Consent::remember(conn, &consent))
        .await
}

/// `DELETE /consents/{client_id}`: the grant is withdrawn, codes not redeemed yet die, and every
/// session of the user with that client ends. False when there was no grant.
pub async fn withdraw_consent(state: &AppState, user_id: Id, client_id: Id) -> AppResult<bool> {
    let outcome = state
        .db
        .run(move |conn| {
            conn.write_transaction(|conn| {
                if !Consent::withdraw(conn, user_id, client_id)? {
                    return Ok(None);
                }
                AuthCode::delete_unused_of(conn, user_id, client_id)?;
                let now = db::now();
                Session::revoke_of_user_and_client(
                    conn,
                    user_id,
                    client_id,
                    Ended::ConsentWithdrawn,
                    now,
                )
                .map(Some)
            })
        })
        .await?;
    let Some(ended) = outcome else {
        return Ok(false);
    };
    record(state, AuthEvent::SessionsEnded { user_id, ended });
    Ok(true)
}
