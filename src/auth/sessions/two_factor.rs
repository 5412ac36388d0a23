//! The second factor's part in a login's life (Fortify's `TwoFactorAuthenticatedSessionController`
//! and `DisableTwoFactorAuthentication`): a right password of a user with two-factor on opens a
//! challenge instead of a session; the challenge and a code start the session; turning two-factor
//! off ends every other session.

use chrono::{Duration, Utc};

use super::oauth_code::BrowserSignIn;
use super::{Audience, Device, access_claims, confirm_password, new_session, record};
use crate::audit::AuthEvent;
use crate::auth::two_factor::{self, SecondFactor, code_required};
use crate::crypto::{random_token, sha256_hex};
use crate::db::{self, Id};
use crate::error::{AppError, AppResult};
use crate::jwt::{Claims, Proof};
use crate::models::{
    self, AuthorizationSession, Ended, OAuthRefreshToken, Session, TwoFactorChallenge, User,
};
use crate::rate_limit::network_text;
use crate::state::AppState;

/// How long a challenge token may be answered.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);

/// The answer to a challenge token that is unknown, used, expired or from another network.
const INVALID_CHALLENGE: &str =
    "The two-factor challenge is invalid or has expired; sign in again.";

/// A login waiting for its second factor: the opaque token the client answers it with.
#[derive(Debug)]
pub struct Challenge {
    pub token: String,
    /// Seconds the token may be answered.
    pub expires_in: i64,
}

/// After the right password of `user`, who has two-factor on: a challenge bound to the user and
/// the client's network, and no session yet.
pub async fn challenge(state: &AppState, user: &User, device: &Device) -> AppResult<Challenge> {
    let token = random_token().map_err(|e| AppError::Internal(e.into()))?;
    let now = db::now();
    let row = TwoFactorChallenge {
        id: Id::now_v7(),
        user_id: user.id,
        token_hash: sha256_hex(token.as_bytes()),
        network: network_text(device.ip),
        attempts: 0,
        created_at: now,
        expires_at: now + CHALLENGE_LIFETIME,
        used_at: None,
    };
    state
        .db
        .run(move |conn| TwoFactorChallenge::create(conn, &row))
        .await?;
    Ok(Challenge {
        token,
        expires_in: CHALLENGE_LIFETIME.num_seconds(),
    })
}

/// `POST /two-factor-challenge`: the challenge `token` with the second factor starts the
/// session (the challenge used up in the same transaction). An unknown, used or expired token,
/// or one from another network, is 422 on `challenge_token`; one that took five wrong codes is
/// 429 until it would have expired.
pub async fn complete_challenge(
    state: &AppState,
    token: &str,
    factor: SecondFactor,
    device: &Device,
) -> AppResult<Claims> {
    let (challenge, user) = open_challenge(state, token, device).await?;
    let mut session = new_session(
        &state.config,
        user.id,
        Audience::Api,
        Proof::PasswordAndCode,
        device,
        db::now(),
    );
    let id = challenge.id;
    let started = two_factor::prove(
        state,
        &user,
        factor,
        device.ip,
        "two_factor_challenge",
        move |conn, proof, now| {
            if !TwoFactorChallenge::use_up(conn, id, now)? {
                return Ok(Err(invalid_challenge()));
            }
            session.amr = proof.amr().to_owned();
            Session::create(conn, &session)?;
            Ok(Ok(session))
        },
    )
    .await?;
    Ok(access_claims(state, &started, &user, Utc::now()))
}

/// The browser's two-factor step at `/oauth/authorize`: the challenge `token` with the second
/// factor signs the browser in (the challenge used up in the same transaction), by the rules of
/// [`complete_challenge`].
pub async fn sign_in_browser_with_code(
    state: &AppState,
    token: &str,
    factor: SecondFactor,
    device: &Device,
) -> AppResult<BrowserSignIn> {
    let (challenge, user) = open_challenge(state, token, device).await?;
    let mut signed_in = BrowserSignIn::new(user.id, Proof::PasswordAndCode, db::now())?;
    let (id, mut row) = (challenge.id, signed_in.session.clone());
    signed_in.session = two_factor::prove(
        state,
        &user,
        factor,
        device.ip,
        "oauth_authorize",
        move |conn, proof, now| {
            if !TwoFactorChallenge::use_up(conn, id, now)? {
                return Ok(Err(invalid_challenge()));
            }
            row.amr = proof.amr().to_owned();
            AuthorizationSession::create(conn, &row)?;
            Ok(Ok(row))
        },
    )
    .await?;
    Ok(signed_in)
}

/// The refusal of a challenge token that is unknown, used, expired or from another network.
fn invalid_challenge() -> AppError {
    AppError::validation("challenge_token", INVALID_CHALLENGE)
}

/// The challenge of `token` with its user, live, from the client's network, for a user whose
/// two-factor is still on, with one of its attempts taken (429 once they are spent).
async fn open_challenge(
    state: &AppState,
    token: &str,
    device: &Device,
) -> AppResult<(TwoFactorChallenge, User)> {
    let token_hash = sha256_hex(token.as_bytes());
    let found = state
        .db
        .run(move |conn| TwoFactorChallenge::find_with_user(conn, &token_hash))
        .await?;
    let now = db::now();
    let Some((challenge, user)) = found else {
        return Err(invalid_challenge());
    };
    let live = challenge.used_at.is_none() && challenge.expires_at > now;
    if !live || challenge.network != network_text(device.ip) || !user.has_two_factor() {
        return Err(invalid_challenge());
    }
    if user.is_disabled() {
        return Err(AppError::AccountDisabled);
    }
    let until_expiry = (challenge.expires_at - now).to_std().unwrap_or_default();
    let id = challenge.id;
    if !state
        .db
        .run(move |conn| TwoFactorChallenge::take_attempt(conn, id, db::now()))
        .await?
    {
        return Err(AppError::TooManyRequests(until_expiry));
    }
    Ok((challenge, user))
}

/// A login whose password was checked and whose second factor comes with it (the OAuth password
/// grant's `otp`): the factor is used up and the session started (with the OAuth refresh token
/// `refresh_token`, its family's first) in one transaction. A wrong factor is the 422 of
/// [`two_factor::prove`].
pub async fn start_with_second_factor(
    state: &AppState,
    user: &User,
    factor: SecondFactor,
    audience: Audience,
    device: &Device,
    refresh_token: Option<&str>,
) -> AppResult<Claims> {
    let client_id = match &audience {
        Audience::OAuth { client_id, .. } => Some(*client_id),
        Audience::Api => None,
    };
    let now = db::now();
    let mut session = new_session(
        &state.config,
        user.id,
        audience,
        Proof::PasswordAndCode,
        device,
        now,
    );
    let token = refresh_token.map(str::to_owned);
    let started = two_factor::prove(
        state,
        user,
        factor,
        device.ip,
        "oauth",
        move |conn, proof, now| {
            session.amr = proof.amr().to_owned();
            let family = client_id.zip(token.as_deref()).map(|(client_id, token)| {
                OAuthRefreshToken::first_of(&session, client_id, token, now)
            });
            Session::create(conn, &session)?;
            if let Some(family) = &family {
                OAuthRefreshToken::create(conn, family)?;
            }
            Ok(Ok(session))
        },
    )
    .await?;
    Ok(access_claims(state, &started, user, Utc::now()))
}

/// `DELETE /user/two-factor-authentication`: after the current password and a current code (or
/// a recovery code), the secret and the recovery codes are deleted and every other session of
/// the user ends (their tokens were issued with two factors). How many sessions ended.
pub async fn disable_two_factor(
    state: &AppState,
    user: &User,
    claims: &Claims,
    password: Option<String>,
    factor: Option<SecondFactor>,
    device: &Device,
) -> AppResult<usize> {
    claims.first_party_only()?;
    if !user.has_two_factor() {
        return Err(two_factor::not_enabled());
    }
    let factor = factor.ok_or_else(code_required)?;
    confirm_password(state, user, password, device.ip, "two_factor_disable").await?;
    let (user_id, caller) = (user.id, claims.sid);
    let sessions_ended = two_factor::prove(
        state,
        user,
        factor,
        device.ip,
        "two_factor_disable",
        move |conn, _, now| {
            User::disable_two_factor(conn, user_id, now)?;
            let ended =
                models::end_every_login(conn, user_id, caller, Ended::TwoFactorDisabled, now)?;
            Ok(Ok(ended))
        },
    )
    .await?;
    record(
        state,
        AuthEvent::TwoFactorDisabled {
            user_id,
            sessions_ended,
        },
    );
    Ok(sessions_ended)
}
