//! Auth events and their audit lines (log target `audit`): one [`AuthEvent`] value per action, and
//! [`record`] derives both its audit line and its metric from it, so the two cannot drift apart.
//! Lines name the user id, or for an email that may not be an account a keyed digest of it: never
//! an email, a password, a token, a secret or a password hash.

use std::net::IpAddr;

use crate::crypto::{Hmac, hex};
use crate::db::Id;
use crate::metrics::Metrics;

/// Where an action came from: the `/api` routes, the OAuth endpoint, a page, the CLI.
pub type Via = &'static str;

/// Everything that starts, refreshes or ends a login, or changes what one can do. A new action
/// adds a variant here (its line and its metric below), never a pair of calls in a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthEvent {
    /// A right password (`via`: api, oauth).
    LoginSucceeded {
        user_id: Id,
        ip: Option<IpAddr>,
        via: Via,
    },
    /// A wrong email or password; also a wrong current password (`via`: password_change,
    /// sessions). `email_hash` is [`email_digest`] of the email tried.
    LoginFailed {
        email_hash: String,
        ip: Option<IpAddr>,
        via: Via,
    },
    /// That failure locked the account or the network out.
    LockedOut {
        email_hash: String,
        ip: Option<IpAddr>,
        via: Via,
    },
    /// A password check refused before it ran: the limits were reached.
    Throttled { ip: Option<IpAddr>, via: Via },
    /// A token or refresh token was exchanged for its successor.
    Refreshed { user_id: Id, via: Via },
    /// A replaced token or a spent refresh token came back after the race window: its session
    /// ended (theft: whoever holds the chain, it is dead).
    RefreshReused {
        user_id: Id,
        session_id: Id,
        via: Via,
    },
    /// Logout with one token; `everywhere`: every session of the user.
    LoggedOut { user_id: Id, everywhere: bool },
    /// Sessions ended from the sessions list (`ended` of them).
    SessionsEnded { user_id: Id, ended: usize },
    /// The password was changed; the other sessions ended and the caller's was renewed.
    PasswordChanged { user_id: Id, sessions_ended: usize },
    /// The password was reset with a mailed link; every session ended.
    PasswordReset { user_id: Id, sessions_ended: usize },
    /// RFC 7009 revocation by an OAuth client.
    Revoked { client_id: Id },
    /// The address was proven by its link.
    EmailVerified { user_id: Id },
    /// Two-factor was turned on (its first code confirmed).
    TwoFactorEnabled { user_id: Id },
    /// Two-factor was turned off; the other sessions ended.
    TwoFactorDisabled { user_id: Id, sessions_ended: usize },
    /// A wrong, reused or expired two-factor code or recovery code.
    TwoFactorFailed {
        user_id: Id,
        ip: Option<IpAddr>,
        via: Via,
    },
    /// A recovery code was used up: the owner may have lost the authenticator.
    RecoveryCodeUsed { user_id: Id, via: Via },
    /// New recovery codes replaced the old ones.
    RecoveryCodesRegenerated { user_id: Id },
    /// An admin changed an account (`what`: name, roles, claims, disabled, enabled, signed_out);
    /// `sessions_ended` by it.
    AccountChanged {
        user_id: Id,
        by: Id,
        what: String,
        sessions_ended: usize,
    },
    /// An account was deleted with every row of it, by its owner or an admin (`by`); the line
    /// keeps only ids.
    AccountDeleted { user_id: Id, by: Id },
}

impl AuthEvent {
    /// The `event` field of the audit line and the label of `auth_events_total`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::LoginSucceeded { .. } => "login",
            Self::LoginFailed { .. } => "login_failed",
            Self::LockedOut { .. } => "lockout",
            Self::Throttled { .. } => "throttled",
            Self::Refreshed { .. } => "refresh",
            Self::RefreshReused { .. } => "refresh_reuse",
            Self::LoggedOut { .. } => "logout",
            Self::SessionsEnded { .. } => "sessions_ended",
            Self::PasswordChanged { .. } => "password_changed",
            Self::PasswordReset { .. } => "password_reset",
            Self::Revoked { .. } => "revoked",
            Self::EmailVerified { .. } => "email_verified",
            Self::TwoFactorEnabled { .. } => "two_factor_enabled",
            Self::TwoFactorDisabled { .. } => "two_factor_disabled",
            Self::TwoFactorFailed { .. } => "two_factor_failed",
            Self::RecoveryCodeUsed { .. } => "recovery_code_used",
            Self::RecoveryCodesRegenerated { .. } => "recovery_codes_regenerated",
            Self::AccountChanged { .. } => "account_changed",
            Self::AccountDeleted { .. } => "account_deleted",
        }
    }
}

/// Writes `event`'s audit line and counts it: `auth_events_total{event}` always, and the
/// dedicated counter of its kind where there is one. The one place either is written.
pub fn record(metrics: &Metrics, event: &AuthEvent) {
    log(event);
    Metrics::count(&metrics.events, event.name());
    match event {
        AuthEvent::LoginSucceeded { .. } => Metrics::count(&metrics.logins, "success"),
        AuthEvent::LoginFailed { .. } => Metrics::count(&metrics.logins, "failure"),
        AuthEvent::Throttled { .. } => Metrics::count(&metrics.logins, "throttled"),
        AuthEvent::Refreshed { via, .. } => Metrics::count(&metrics.refreshes, via),
        AuthEvent::RefreshReused { via, .. } => Metrics::count(&metrics.reuse_detected, via),
        AuthEvent::LoggedOut { everywhere, .. } => {
            Metrics::count(&metrics.logouts, if *everywhere { "all" } else { "token" })
        }
        AuthEvent::SessionsEnded { ended, .. } => {
            Metrics::count_by(&metrics.sessions_ended, "sessions_list", *ended)
        }
        AuthEvent::PasswordChanged { sessions_ended, .. } => {
            Metrics::count_by(&metrics.sessions_ended, "password_change", *sessions_ended)
        }
        AuthEvent::PasswordReset { sessions_ended, .. } => {
            Metrics::count_by(&metrics.sessions_ended, "password_reset", *sessions_ended)
        }
        AuthEvent::TwoFactorDisabled { sessions_ended, .. } => Metrics::count_by(
            &metrics.sessions_ended,
            "two_factor_disabled",
            *sessions_ended,
        ),
        AuthEvent::AccountChanged { sessions_ended, .. } => {
            Metrics::count_by(&metrics.sessions_ended, "account_changed", *sessions_ended)
        }
        AuthEvent::LockedOut { .. }
        | AuthEvent::Revoked { .. }
        | AuthEvent::EmailVerified { .. }
        | AuthEvent::TwoFactorEnabled { .. }
        | AuthEvent::TwoFactorFailed { .. }
        | AuthEvent::RecoveryCodeUsed { .. }
        | AuthEvent::RecoveryCodesRegenerated { .. }
        | AuthEvent::AccountDeleted { .. } => {}
    }
}

/// The audit line of `event`.
fn log(event: &AuthEvent) {
    let name = event.name();
    match event {
        AuthEvent::LoginSucceeded { user_id, ip, via } => {
            tracing::info!(target: "audit", event = name, user_id = %user_id, ip = %ip_text(*ip), via)
        }
        AuthEvent::LoginFailed {
            email_hash,
            ip,
            via,
        } => {
            tracing::info!(target: "audit", event = name, email_hash = %email_hash, ip = %ip_text(*ip), via)
        }
        AuthEvent::LockedOut {
            email_hash,
            ip,
            via,
        } => {
            tracing::warn!(target: "audit", event = name, email_hash = %email_hash, ip = %ip_text(*ip), via)
        }
        AuthEvent::Throttled { ip, via } => {
            tracing::warn!(target: "audit", event = name, what = via, ip = %ip_text(*ip))
        }
        AuthEvent::Refreshed { user_id, via } => {
            tracing::info!(target: "audit", event = name, user_id = %user_id, via)
        }
        AuthEvent::RefreshReused {
            user_id,
            session_id,
            via,
        } => {
            tracing::warn!(target: "audit", event = name, user_id = %user_id, session_id = %session_id, via)
        }
        AuthEvent::LoggedOut {
            user_id,
            everywhere,
        } => {
            tracing::info!(target: "audit", event = name, user_id = %user_id, everywhere)
        }
        AuthEvent::SessionsEnded { user_id, ended } => {
            tracing::info!(target: "audit", event = name, user_id = %user_id, ended)
        }
        AuthEvent::PasswordChanged {
            user_id,
            sessions_ended,
        }
        | AuthEvent::PasswordReset {
            user_id,
            sessions_ended,
        }
        | AuthEvent::TwoFactorDisabled {
            user_id,
            sessions_ended,
        } => {
            tracing::info!(target: "audit", event = name, user_id = %user_id, sessions_ended)
        }
        AuthEvent::Revoked { client_id } => {
            tracing::info!(target: "audit", event = name, client_id = %client_id)
        }
        AuthEvent::EmailVerified { user_id }
        | AuthEvent::TwoFactorEnabled { user_id }
        | AuthEvent::RecoveryCodesRegenerated { user_id } => {
            tracing::info!(target: "audit", event = name, user_id = %user_id)
        }
        AuthEvent::TwoFactorFailed { user_id, ip, via } => {
            tracing::warn!(target: "audit", event = name, user_id = %user_id, ip = %ip_text(*ip), via)
        }
        AuthEvent::RecoveryCodeUsed { user_id, via } => {
            tracing::warn!(target: "audit", event = name, user_id = %user_id, via)
        }
        AuthEvent::AccountChanged {
            user_id,
            by,
            what,
            sessions_ended,
        } => {
            tracing::info!(target: "audit", event = name, user_id = %user_id, by = %by, what = %what, sessions_ended)
        }
        AuthEvent::AccountDeleted { user_id, by } => {
            tracing::info!(target: "audit", event = name, user_id = %user_id, by = %by)
        }
    }
}

/// The first 16 hex digits of an HMAC under APP_KEY of a normalised email: enough to follow one
/// account through the log; without the key, no dictionary of emails turns it back into one.
pub fn email_digest(key: &Hmac, email: &str) -> String {
    hex(&key.short(email.as_bytes())[..8])
}

fn ip_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".into(), |ip| ip.to_string())
}
