//! The `REFRESH_COOKIE*` settings: SPA cookie mode, where the refresh credential travels in an
//! HttpOnly cookie and refresh/logout are CSRF-checked (Laravel Sanctum's stateful SPA mode).

use std::collections::HashSet;

use super::reader::Reader;
use super::{ConfigError, invalid};

/// Cookie mode's settings; present only with `REFRESH_COOKIE=true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshCookieConfig {
    /// `REFRESH_COOKIE_NAME`: the HttpOnly cookie that carries the token.
    pub name: String,
    /// `REFRESH_COOKIE_PATH`: `/`, `/api` or `/api/auth` (the browser sends the cookie only to
    /// refresh and logout under it).
    pub path: String,
    /// `REFRESH_COOKIE_DOMAIN`: the `Domain` of XSRF-TOKEN, so a page on a sibling host can read
    /// it (unset: host-only). The refresh cookie stays host-only: only the API reads it.
    pub domain: Option<String>,
    /// `REFRESH_COOKIE_SAMESITE`: strict | lax | none.
    pub same_site: SameSite,
    /// `REFRESH_COOKIE_SECURE`: browsers accept `Secure` on http://localhost too.
    pub secure: bool,
    /// The origins a browser may use the cookie routes from, as browsers serialise `Origin`:
    /// APP_URL's and CORS_ALLOWED_ORIGINS.
    pub allowed_origins: HashSet<String>,
}

/// The cookie's `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Strict,
    Lax,
    None,
}

/// The cookie paths that cover refresh and logout under one or both API prefixes.
const PATHS: [&str; 3] = ["/", "/api", "/api/auth"];

/// Reads the section; `None` unless `REFRESH_COOKIE=true`. `cors_origins` is what
/// CORS_ALLOWED_ORIGINS listed: credentials need explicit origins.
pub(super) fn refresh_cookie<F: Fn(&str) -> Option<String>>(
    r: &Reader<F>,
    app_url: &str,
    cors_origins: &[String],
) -> Result<Option<RefreshCookieConfig>, ConfigError> {
    if !r.flag("REFRESH_COOKIE")? {
        return Ok(None);
    }
    if cors_origins.iter().any(|o| o == "*") {
        return Err(invalid(
            "CORS_ALLOWED_ORIGINS",
            "cannot be * with REFRESH_COOKIE=true: a cookie is a credential, and browsers send \
             credentials only to explicitly listed origins (list them, comma-separated)",
        ));
    }
    let name = r.text("REFRESH_COOKIE_NAME").unwrap_or_default();
    if name.is_empty() || !name.chars().all(is_token_char) {
        return Err(invalid(
            "REFRESH_COOKIE_NAME",
            format!("{name:?} is not a cookie name (letters, digits and !#$%&'*+-.^_`|~)"),
        ));
    }
    let path = r.text("REFRESH_COOKIE_PATH").unwrap_or_default();
    if !PATHS.contains(&path.as_str()) {
        return Err(invalid(
            "REFRESH_COOKIE_PATH",
            format!(
                "{path:?} must be /, /api or /api/auth: a browser sends the cookie only below its path, and refresh and logout are served under /api and /api/auth"
            ),
        ));
    }
    let domain = r.text("REFRESH_COOKIE_DOMAIN");
    if let Some(bad) = domain.as_ref().filter(|d| {
        !d.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c))
    }) {
        return Err(invalid(
            "REFRESH_COOKIE_DOMAIN",
            format!("{bad:?} is not a domain like example.com"),
        ));
    }
    let same_site = match r
        .text("REFRESH_COOKIE_SAMESITE")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        Some("strict") => SameSite::Strict,
        Some("lax") => SameSite::Lax,
        Some("none") => SameSite::None,
        other => {
            return Err(invalid(
                "REFRESH_COOKIE_SAMESITE",
                format!("{other:?} is not strict, lax or none"),
            ));
        }
    };
    let secure = r.flag("REFRESH_COOKIE_SECURE")?;
    if same_site == SameSite::None && !secure {
        return Err(invalid(
            "REFRESH_COOKIE_SAMESITE",
            "none needs REFRESH_COOKIE_SECURE=true: browsers drop SameSite=None cookies without Secure",
        ));
    }
    // Browsers enforce the prefixes; refusing here says why instead of a cookie that never sticks.
    if name.starts_with("__Host-") && (!secure || path != "/") {
        return Err(invalid(
            "REFRESH_COOKIE_NAME",
            "a __Host- cookie needs REFRESH_COOKIE_SECURE=true and REFRESH_COOKIE_PATH=/",
        ));
    }
    if name.starts_with("__Secure-") && !secure {
        return Err(invalid(
            "REFRESH_COOKIE_NAME",
            "a __Secure- cookie needs REFRESH_COOKIE_SECURE=true",
        ));
    }
    let allowed_origins = allowed_origins(app_url, cors_origins);
    Ok(Some(RefreshCookieConfig {
        name,
        path,
        domain,
        same_site,
        secure,
        allowed_origins,
    }))
}

/// APP_URL's origin and CORS_ALLOWED_ORIGINS', serialised by [`origin_of`].
pub fn allowed_origins(app_url: &str, cors_origins: &[String]) -> HashSet<String> {
    std::iter::once(app_url)
        .chain(cors_origins.iter().map(String::as_str))
        .filter_map(origin_of)
        .collect()
}

/// The origin of a URL (or of an `Origin` header's value) as browsers serialise it: scheme and
/// host in lower case, no default port, no path. `None` for an opaque origin (`null`) or no URL.
pub fn origin_of(url: &str) -> Option<String> {
    let origin = url::Url::parse(url.trim()).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// RFC 6265's cookie-name characters (an RFC 7230 token).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}
