//! Audit lines (log target `audit`): logins, failures, lock-outs, refreshes, logouts. They name the
//! user id, or for an email that may not be an account a short hash of it: never an email, a
//! password, a token, a secret or a password hash.

use std::net::IpAddr;

use crate::db::Id;
use crate::oauth::refresh_token::hash;

/// The first 16 hex digits of the SHA-256 of a normalised email: enough to follow one account
/// through the log, not enough to read it back.
pub fn email_hash(email: &str) -> String {
    hash(email)[..16].to_owned()
}

fn ip_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

pub fn login_succeeded(user_id: Id, ip: Option<IpAddr>, via: &str) {
    tracing::info!(target: "audit", event = "login", user_id = %user_id, ip = %ip_text(ip), via);
}

pub fn login_failed(email: &str, ip: Option<IpAddr>, via: &str) {
    tracing::info!(target: "audit", event = "login_failed", email_hash = %email_hash(email), ip = %ip_text(ip), via);
}

pub fn locked_out(email: &str, ip: Option<IpAddr>) {
    tracing::warn!(target: "audit", event = "lockout", email_hash = %email_hash(email), ip = %ip_text(ip));
}

pub fn throttled(what: &str, ip: Option<IpAddr>) {
    tracing::warn!(target: "audit", event = "throttled", what, ip = %ip_text(ip));
}

pub fn refreshed(user_id: Id, via: &str) {
    tracing::info!(target: "audit", event = "refresh", user_id = %user_id, via);
}

pub fn logged_out(user_id: Id, everywhere: bool) {
    tracing::info!(target: "audit", event = "logout", user_id = %user_id, everywhere);
}
