//! Why a session ended: the reasons `revoked_reason` keeps.

/// Why a session ended (kept in `revoked_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `logout` with one of its tokens.
    Logout,
    /// `logout?scope=all`, or `DELETE /api/sessions` without `except`.
    LogoutEverywhere,
    /// `DELETE /api/sessions/{id}`, or another session's `DELETE /api/sessions?except=current`.
    Deleted,
    /// The user changed the password in another session.
    PasswordChanged,
    /// The password was reset with an emailed link: every session ends.
    PasswordReset,
    /// A refresh token or an already refreshed access token was presented again: a replay.
    RefreshReuse,
    /// RFC 7009 revocation of one of its tokens.
    Revoked,
    /// Two-factor was turned off in another session: the logins proven with it end.
    TwoFactorDisabled,
    /// The user withdrew the OAuth client's consent.
    ConsentWithdrawn,
    /// The authorization code that started it was presented again (RFC 6749 §4.1.2).
    CodeReuse,
    /// The caller's own session, replaced by a fresh one (password change, "sign out everywhere
    /// else"), so that no copy of its tokens outlives it.
    Renewed,
    /// The account's roles or claims changed, with `--now` (or an admin signed the user out).
    AccountChanged,
}

impl Ended {
    /// The text stored in `revoked_reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::LogoutEverywhere => "logout_everywhere",
            Self::Deleted => "deleted",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::RefreshReuse => "refresh_reuse",
            Self::Revoked => "revoked",
            Self::TwoFactorDisabled => "two_factor_disabled",
            Self::ConsentWithdrawn => "consent_withdrawn",
            Self::CodeReuse => "code_reuse",
            Self::Renewed => "renewed",
            Self::AccountChanged => "account_changed",
        }
    }
}
