//! `OAUTH_VIEWS`: the words of the `/oauth/authorize` pages, replaceable at start for branding
//! (Passport's published views): a folder whose `text.json` names the texts to replace.

use serde::Deserialize;

use super::{ConfigError, invalid};

/// Every text the sign-in, two-factor, consent and sign-out pages show.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PageText {
    pub sign_in_title: String,
    pub sign_in_intro: String,
    pub email: String,
    pub password: String,
    pub sign_in_button: String,
    pub wrong_credentials: String,
    pub two_factor_title: String,
    pub two_factor_intro: String,
    pub code: String,
    pub recovery_code: String,
    pub two_factor_button: String,
    pub consent_title: String,
    pub consent_intro: String,
    pub consent_no_scopes: String,
    pub allow: String,
    pub deny: String,
    pub sign_out_title: String,
    pub sign_out_intro: String,
    pub sign_out_button: String,
    pub signed_out: String,
}

impl Default for PageText {
    fn default() -> Self {
        let text = |s: &str| s.to_owned();
        Self {
            sign_in_title: text("Sign in"),
            sign_in_intro: text("Sign in to continue to"),
            email: text("Email"),
            password: text("Password"),
            sign_in_button: text("Sign in"),
            wrong_credentials: text("These credentials do not match our records."),
            two_factor_title: text("Two-factor authentication"),
            two_factor_intro: text(
                "Enter the code from your authenticator app, or one of your recovery codes.",
            ),
            code: text("Code"),
            recovery_code: text("Recovery code"),
            two_factor_button: text("Verify"),
            consent_title: text("Authorize access"),
            consent_intro: text("asks for access to your account:"),
            consent_no_scopes: text("It asks to know who you are, and nothing more."),
            allow: text("Allow"),
            deny: text("Deny"),
            sign_out_title: text("Sign out"),
            sign_out_intro: text("Do you want to sign out?"),
            sign_out_button: text("Sign out"),
            signed_out: text("You are signed out. You can close this window."),
        }
    }
}

/// The texts of `folder`'s `text.json` over the defaults; the defaults without a folder.
pub(super) fn page_text(folder: Option<String>) -> Result<PageText, ConfigError> {
    let Some(folder) = folder else {
        return Ok(PageText::default());
    };
    let path = std::path::Path::new(&folder).join("text.json");
    let json = std::fs::read_to_string(&path).map_err(|e| {
        invalid(
            "OAUTH_VIEWS",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    serde_json::from_str(&json).map_err(|e| {
        invalid(
            "OAUTH_VIEWS",
            format!(
                "{}: {e} (a JSON object of the texts to replace)",
                path.display()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folders_text_json_replaces_the_texts_it_names_and_refuses_unknown_ones() {
        let dir = std::env::temp_dir().join(format!("oauth-views-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let folder = Some(dir.to_string_lossy().into_owned());
        std::fs::write(
            dir.join("text.json"),
            r#"{"sign_in_title":"Welcome to Acme"}"#,
        )
        .unwrap();
        let text = page_text(folder.clone()).unwrap();
        assert_eq!(text.sign_in_title, "Welcome to Acme");
        assert_eq!(text.allow, PageText::default().allow, "the others stay");
        std::fs::write(dir.join("text.json"), r#"{"sign_in_titel":"typo"}"#).unwrap();
        let error = page_text(folder).unwrap_err();
        assert_eq!(error.var, "OAUTH_VIEWS");
        assert!(error.to_string().contains("sign_in_titel"), "{error}");
        let missing = page_text(Some(dir.join("nowhere").to_string_lossy().into_owned()));
        assert!(missing.is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
