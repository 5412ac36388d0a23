//! SPA cookie mode, `REFRESH_COOKIE=true` (Laravel: Sanctum's stateful SPA requests and the
//! VerifyCsrfToken middleware): the token also travels in an HttpOnly cookie that only refresh and
//! logout read, a readable `XSRF-TOKEN` cookie is bound to it, and a browser request counts only
//! from an allowed `Origin` with that value echoed in `X-XSRF-TOKEN`.

use std::collections::HashSet;

use actix_web::HttpRequest;
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, SameSite as CookieSameSite};

use crate::config::{RefreshCookieConfig, SameSite};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The readable cookie Axios copies into [`XSRF_HEADER`] on its own (Laravel's names).
pub const XSRF_COOKIE: &str = "XSRF-TOKEN";
/// The header that must echo [`XSRF_COOKIE`].
pub const XSRF_HEADER: &str = "X-XSRF-TOKEN";

/// The token of the refresh cookie, if the request carries one; when it does, its `X-XSRF-TOKEN`
/// must be the value bound to that cookie (else 419 and nothing happens). `None` outside cookie
/// mode or without the cookie.
pub fn token(state: &AppState, req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(settings) = &state.config.refresh_cookie else {
        return Ok(None);
    };
    let Some(cookie) = req.cookie(&settings.name).filter(|c| !c.value().is_empty()) else {
        return Ok(None);
    };
    let echoed = req
        .headers()
        .get(XSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // A cross-site page can make the browser send the cookie, but cannot read XSRF-TOKEN to echo it.
    if !state
        .xsrf_key
        .verify_base64url(cookie.value().as_bytes(), echoed.trim())
    {
        return Err(AppError::CsrfTokenMismatch);
    }
    Ok(Some(cookie.value().to_owned()))
}

/// The two cookies of a login or refresh that issued `token`, living `max_age` seconds (what is
/// left of its refresh window); none outside cookie mode.
pub fn issue(state: &AppState, token: &str, max_age: i64) -> Vec<Cookie<'static>> {
    let Some(settings) = &state.config.refresh_cookie else {
        return vec![];
    };
    let xsrf = state.xsrf_key.sign_base64url(token.as_bytes());
    vec![
        cookie(
            settings,
            &settings.name,
            &settings.path,
            token.to_owned(),
            max_age,
            true,
        ),
        cookie(settings, XSRF_COOKIE, "/", xsrf, max_age, false),
    ]
}

/// Both cookies expired, with the attributes they were set with (a browser only replaces a
/// cookie of the same name, path and domain); none outside cookie mode.
pub fn clear(state: &AppState) -> Vec<Cookie<'static>> {
    let Some(settings) = &state.config.refresh_cookie else {
        return vec![];
    };
    vec![
        cookie(
            settings,
            &settings.name,
            &settings.path,
            String::new(),
            0,
            true,
        ),
        cookie(settings, XSRF_COOKIE, "/", String::new(), 0, false),
    ]
}

fn cookie(
    settings: &RefreshCookieConfig,
    name: &str,
    path: &str,
    value: String,
    max_age: i64,
    http_only: bool,
) -> Cookie<'static> {
    let mut cookie = Cookie::build(name.to_owned(), value)
        .path(path.to_owned())
        .http_only(http_only)
        .secure(settings.secure)
        .same_site(match settings.same_site {
            SameSite::Strict => CookieSameSite::Strict,
            SameSite::Lax => CookieSameSite::Lax,
            SameSite::None => CookieSameSite::None,
        })
        .max_age(Duration::seconds(max_age))
        .finish();
    if let Some(domain) = &settings.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}

/// The origins a browser may call the cookie routes from: APP_URL's and CORS_ALLOWED_ORIGINS,
/// compared as browsers serialise an `Origin` (scheme and host in lower case, no default port).
#[derive(Debug, Clone)]
pub struct AllowedOrigins(HashSet<String>);

impl AllowedOrigins {
    /// From APP_URL and CORS_ALLOWED_ORIGINS.
    pub fn new(app_url: &str, cors_allowed_origins: &[String]) -> Self {
        let listed = cors_allowed_origins.iter().map(String::as_str);
        Self(
            std::iter::once(app_url)
                .chain(listed)
                .filter_map(serialise)
                .collect(),
        )
    }

    /// Whether a request with this `Origin` header (if any) may use the cookie. Without one it is
    /// not a browser's cross-site request, and the XSRF header rule decides alone.
    pub fn allow(&self, origin: Option<&str>) -> bool {
        origin.is_none_or(|origin| serialise(origin).is_some_and(|o| self.0.contains(&o)))
    }
}

/// An origin in its ASCII serialisation; `None` for an opaque one (`null`) or no URL at all.
fn serialise(url: &str) -> Option<String> {
    let origin = url::Url::parse(url.trim()).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(app_url: &str, cors: &[&str]) -> AllowedOrigins {
        let cors: Vec<String> = cors.iter().map(|o| o.to_string()).collect();
        AllowedOrigins::new(app_url, &cors)
    }

    #[test]
    fn an_origin_matches_app_url_as_a_browser_serialises_it() {
        let allowed = origins("https://App.Example.com:443/some/path", &[]);
        assert!(allowed.allow(Some("https://app.example.com")));
        assert!(!allowed.allow(Some("http://app.example.com")));
        assert!(!allowed.allow(Some("https://app.example.com:8443")));
        assert!(!allowed.allow(Some("https://evil.example")));
    }

    #[test]
    fn listed_cors_origins_are_allowed_and_null_never_is() {
        let allowed = origins("http://localhost:8000", &["http://localhost:5173"]);
        assert!(allowed.allow(Some("http://localhost:5173")));
        assert!(allowed.allow(Some("http://localhost:8000")));
        assert!(!allowed.allow(Some("null")));
        assert!(!allowed.allow(Some("not a url")));
        assert!(allowed.allow(None));
    }
}
