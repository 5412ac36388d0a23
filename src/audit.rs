//! Audit lines (log target `audit`): logins, failures, lock-outs, refreshes, logouts. They name the
//! user id, or for an email that may not be an account a keyed digest of it: never an email, a
//! password, a token, a secret or a password hash.

use std::net::IpAddr;

use crate::crypto::{Hmac, hex};
use crate::db::Id;

/// The first 16 hex digits of an HMAC under APP_KEY of a normalised email: enough to follow one
/// account through the log; without the key, no dictionary of emails turns it back into one.
pub fn email_digest(key: &Hmac, email: &str) -> String {
    hex(&key.short(email.as_bytes())[..8])
}

fn ip_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

pub fn login_succeeded(user_id: Id, ip: Option<IpAddr>, via: &str) {
    tracing::info!(target: "audit", event = "login", user_id = %user_id, ip = %ip_text(ip), via);
}

/// `digest` is [`email_digest`] of the email tried.
pub fn login_failed(digest: &str, ip: Option<IpAddr>, via: &str) {
    tracing::info!(target: "audit", event = "login_failed", email_hash = %digest, ip = %ip_text(ip), via);
}

/// `digest` is [`email_digest`] of the email locked.
pub fn locked_out(digest: &str, ip: Option<IpAddr>) {
    tracing::warn!(target: "audit", event = "lockout", email_hash = %digest, ip = %ip_text(ip));
}

pub fn throttled(what: &str, ip: Option<IpAddr>) {
    tracing::warn!(target: "audit", event = "throttled", what, ip = %ip_text(ip));
}

pub fn refreshed(user_id: Id, via: &str) {
    tracing::info!(target: "audit", event = "refresh", user_id = %user_id, via);
}

/// An already refreshed token was presented after the race window: its session ended.
pub fn refresh_reused(user_id: Id, session_id: Id) {
    tracing::warn!(target: "audit", event = "refresh_reuse", user_id = %user_id, session_id = %session_id);
}

/// Sessions ended from the sessions list (`ended` of them).
pub fn sessions_ended(user_id: Id, ended: usize) {
    tracing::info!(target: "audit", event = "sessions_ended", user_id = %user_id, ended);
}

/// The password was changed; the other sessions ended.
pub fn password_changed(user_id: Id, other_sessions_ended: usize) {
    tracing::info!(target: "audit", event = "password_changed", user_id = %user_id, other_sessions_ended);
}

pub fn password_reset(user_id: Id, sessions_ended: usize) {
    tracing::info!(target: "audit", event = "password_reset", user_id = %user_id, sessions_ended);
}

pub fn email_verified(user_id: Id) {
    tracing::info!(target: "audit", event = "email_verified", user_id = %user_id);
}

pub fn logged_out(user_id: Id, everywhere: bool) {
    tracing::info!(target: "audit", event = "logout", user_id = %user_id, everywhere);
}
