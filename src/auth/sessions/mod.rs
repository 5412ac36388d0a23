//! The one owner of a login's life (tymon's `JWTGuard`, Laravel's `SessionGuard` with its
//! `logoutOtherDevices`): starting a login, refreshing it, ending one session or every session of
//! a user, changing and resetting the password. It returns claims and outcomes, never responses:
//! controllers and the OAuth grants turn them into answers. Every rule that ends a session and
//! every transaction of these actions lives here or in `models`, and each action records its one
//! [`AuthEvent`].

mod account;
mod ending;
mod laravel;
mod oauth_code;
mod owner;
mod password;
mod refresh;
mod replay;
mod rp_logout;
mod two_factor;

use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

pub use account::{
    AccountChange, change_account, change_by_admin, delete_account, delete_by, delete_own_account,
};
pub use ending::{end_all, end_others, end_session, logout, revoke_access_token, revoke_session};
pub use oauth_code::{
    BROWSER_SIGN_IN_LIFETIME, BrowserSignIn, CodeBinding, browser_sign_in, consented_scopes,
    end_replayed_code, issue_code, redeem_code, remember_consent, sign_in_browser,
    withdraw_consent,
};
pub use owner::{Alive, alive};
pub use password::{change_password, confirm_password, reset_password};
pub use refresh::{refresh, rotate_refresh_token};
pub use replay::{Presented, Standing, end_replayed, standing};
pub use rp_logout::{SignedOut, sign_out_browser};
pub use two_factor::{
    Challenge, challenge, complete_challenge, disable_two_factor, sign_in_browser_with_code,
    start_with_second_factor,
};

use crate::audit::{self, AuthEvent};
use crate::config::Config;
use crate::db::{self, Id};
use crate::error::AppResult;
use crate::jwt::{Claims, JwtService, Proof};
use crate::models::{NewLogin, OAuthRefreshToken, Session, User};
use crate::state::AppState;

/// Where a login comes from: what its session row records of the device.
#[derive(Debug, Clone, Default)]
pub struct Device {
    /// The request's `User-Agent` (the session keeps its first 255 characters).
    pub user_agent: Option<String>,
    /// The client's address, as `ClientIp` resolves it behind trusted proxies.
    pub ip: Option<IpAddr>,
}

/// Who a login is for.
#[derive(Debug, Clone)]
pub enum Audience {
    /// The `/api` routes (a login token, `typ: JWT`).
    Api,
    /// An OAuth client, with the scopes granted (space-separated) and the resource (RFC 8707) its
    /// access tokens are for (`None`: the default resource).
    OAuth {
        client_id: Id,
        scopes: String,
        resource: Option<String>,
    },
}

/// Writes `event`'s audit line and metric (see [`audit::record`]).
pub fn record(state: &AppState, event: AuthEvent) {
    audit::record(&state.metrics, &event);
}

/// How long a session lives: as long as anything of its login can be used or refreshed —
/// JWT_REFRESH_TTL plus the leeway for `/api`, OAUTH_REFRESH_TTL for an OAuth client.
pub fn lifetime(config: &Config, audience: &Audience) -> Duration {
    match audience {
        Audience::Api => {
            Duration::minutes(i64::from(config.jwt.refresh_ttl_minutes))
                + Duration::seconds(i64::from(config.jwt.leeway_seconds))
        }
        Audience::OAuth { .. } => Duration::minutes(i64::from(config.oauth.refresh_ttl_minutes)),
    }
}

/// A new session of `user_id` for `audience`, proven by `proof`, from `device`, starting `now`
/// (not stored yet).
pub fn new_session(
    config: &Config,
    user_id: Id,
    audience: Audience,
    proof: Proof,
    device: &Device,
    now: NaiveDateTime,
) -> Session {
    let lifetime = lifetime(config, &audience);
    let (client_id, scopes, resource) = match audience {
        Audience::Api => (None, String::new(), None),
        Audience::OAuth {
            client_id,
            scopes,
            resource,
        } => (Some(client_id), scopes, resource),
    };
    Session::start(
        NewLogin {
            user_id,
            client_id,
            scopes,
            user_agent: device.user_agent.clone(),
            ip: device.ip.map(|ip| ip.to_string()),
            lifetime,
            proof,
            resource,
        },
        now,
    )
}

/// How the login of `claims` was proven, for a session that continues it (a renewal).
pub fn proof_of(claims: &Claims) -> Proof {
    let methods = claims.methods();
    let has = |method: &str| methods.iter().any(|m| m == method);
    if has("rec") {
        Proof::PasswordAndRecoveryCode
    } else if has("otp") {
        Proof::PasswordAndCode
    } else {
        Proof::Password
    }
}

/// The claims of a fresh access token of `session`: an `/api` token, or an OAuth access token
/// (`client_id`, the session's scopes, and in `aud` the resource it is for: RFC 9068 §2.2) whose
/// chain began when the session did; `amr` and `acr` say how the session's login was proven, and
/// `roles` and the custom claims are `user`'s as its row says now.
pub fn access_claims(
    state: &AppState,
    session: &Session,
    user: &User,
    now: DateTime<Utc>,
) -> Claims {
    let default_resource = &state.config.oauth.default_resource;
    with_account(
        session_claims(&state.jwt, default_resource, session, now),
        user,
    )
}

/// `claims` with `user`'s roles and custom claims, read from its row when the token is issued
/// (tymon#891: a refreshed token never keeps the roles it was born with).
pub fn with_account(claims: Claims, user: &User) -> Claims {
    claims.with_account(user.role_names(), user.custom_claims().into_map())
}

/// [`access_claims`] with the keys and the default resource given (the CLI has no state).
pub fn session_claims(
    jwt: &JwtService,
    default_resource: &str,
    session: &Session,
    now: DateTime<Utc>,
) -> Claims {
    let mut claims = jwt.login_claims(session.user_id, now);
    claims.sid = Some(session.id);
    claims.amr = Some(session.amr.split(' ').map(str::to_owned).collect());
    claims.acr = Some(session.acr().to_owned());
    if let Some(client) = session.client_id {
        claims.orig_iat = Some(session.created_at.and_utc().timestamp());
        claims.client_id = Some(client);
        let resource = session.resource.as_deref().unwrap_or(default_resource);
        claims.aud = Some(resource.to_owned());
        claims.scope = Some(session.scopes.clone());
    }
    claims
}

/// Starts a login of `user` (whose credentials were checked, as `proof` says) for `audience`
/// from `device`: the session row, with the OAuth refresh token `refresh_token` (its family's
/// first) when there is one, in one transaction. The access token's claims.
pub async fn start(
    state: &AppState,
    user: &User,
    audience: Audience,
    proof: Proof,
    device: &Device,
    refresh_token: Option<&str>,
) -> AppResult<Claims> {
    let now = db::now();
    let client_id = match &audience {
        Audience::OAuth { client_id, .. } => Some(*client_id),
        Audience::Api => None,
    };
    let session = new_session(&state.config, user.id, audience, proof, device, now);
    let claims = access_claims(state, &session, user, Utc::now());
    let family = client_id
        .zip(refresh_token)
        .map(|(client_id, token)| OAuthRefreshToken::first_of(&session, client_id, token, now));
    state
        .db
        .run(move |conn| Session::create_with_refresh_token(conn, &session, family.as_ref()))
        .await?;
    Ok(claims)
}
