//! SPA cookie mode, `REFRESH_COOKIE=true` (Laravel: Sanctum's stateful SPA requests and the
//! VerifyCsrfToken middleware): the token also travels in an HttpOnly cookie that only refresh and
//! logout read, a readable `XSRF-TOKEN` cookie is bound to it, and a browser request counts only
//! from an allowed `Origin` with that value echoed in `X-XSRF-TOKEN`.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, SameSite as CookieSameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, ORIGIN};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};

use crate::config::{RefreshCookieConfig, SameSite, origin_of};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The readable cookie Axios copies into [`XSRF_HEADER`] on its own (Laravel's names).
pub const XSRF_COOKIE: &str = "XSRF-TOKEN";
/// The header that must echo [`XSRF_COOKIE`].
pub const XSRF_HEADER: &str = "X-XSRF-TOKEN";

/// Middleware of the routes that set or read the cookies (login, refresh, logout): in cookie mode a
/// request whose `Origin` is present and neither APP_URL's nor a listed CORS origin is 419 before
/// anything else reads it. Without `Origin` it is not a browser's cross-site request, and the
/// XSRF rule of [`checked_token`] decides alone.
pub async fn allowed_origins_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let settings = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.config.refresh_cookie.as_ref());
    if let Some(settings) = settings
        && !origin_allowed(settings, req.headers())
    {
        // An answer, not an error: it keeps the request, so the log and the metrics still see
        // which route refused it.
        return Ok(req
            .error_response(AppError::CsrfTokenMismatch)
            .map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Whether the request's `Origin`, if it has one, may use the cookie (`null` never may).
fn origin_allowed(settings: &RefreshCookieConfig, headers: &HeaderMap) -> bool {
    headers.get(ORIGIN).is_none_or(|origin| {
        origin
            .to_str()
            .ok()
            .and_then(origin_of)
            .is_some_and(|origin| settings.allowed_origins.contains(&origin))
    })
}

/// The token of the refresh cookie, if the request carries one; when it does, its `X-XSRF-TOKEN`
/// must be the value bound to that cookie (else 419 and nothing happens). `None` outside cookie
/// mode or without the cookie.
pub fn checked_token(state: &AppState, req: &HttpRequest) -> AppResult<Option<String>> {
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
        refresh_cookie(settings, token.to_owned(), max_age),
        xsrf_cookie(settings, xsrf, max_age),
    ]
}

/// `XSRF-TOKEN` alone, for `GET /api/csrf-cookie` (Sanctum's `/sanctum/csrf-cookie`), in cookie
/// mode: bound to the refresh cookie the request carries, so a page that lost it gets it back;
/// without one, a placeholder the next login replaces (Sanctum code looks for the cookie before it
/// logs in) — unless the request carries an `XSRF-TOKEN` already, which is never replaced by a
/// value that matches nothing (`/sanctum` is outside `REFRESH_COOKIE_PATH`: a logged-in page's
/// call there carries no refresh cookie). It lives as long as a login's refresh window.
pub fn xsrf_only(state: &AppState, req: &HttpRequest) -> AppResult<Vec<Cookie<'static>>> {
    let Some(settings) = &state.config.refresh_cookie else {
        return Ok(vec![]);
    };
    let refresh = req.cookie(&settings.name).filter(|c| !c.value().is_empty());
    let subject = match refresh {
        Some(refresh) => refresh.value().to_owned(),
        None if req.cookie(XSRF_COOKIE).is_some() => return Ok(vec![]),
        None => crate::crypto::random_token().map_err(|e| AppError::Internal(e.into()))?,
    };
    let max_age = i64::from(state.config.jwt.refresh_ttl_minutes) * 60;
    let xsrf = state.xsrf_key.sign_base64url(subject.as_bytes());
    Ok(vec![xsrf_cookie(settings, xsrf, max_age)])
}

/// Both cookies expired, with the attributes they were set with (a browser only replaces a
/// cookie of the same name, path and domain); none outside cookie mode.
pub fn clear(state: &AppState) -> Vec<Cookie<'static>> {
    let Some(settings) = &state.config.refresh_cookie else {
        return vec![];
    };
    vec![
        refresh_cookie(settings, String::new(), 0),
        xsrf_cookie(settings, String::new(), 0),
    ]
}

/// HttpOnly and host-only: no script and no other host ever sees it.
fn refresh_cookie(settings: &RefreshCookieConfig, value: String, max_age: i64) -> Cookie<'static> {
    let mut cookie = base(settings, settings.name.clone(), value, max_age);
    cookie.set_path(settings.path.clone());
    cookie.set_http_only(true);
    cookie
}

/// Readable by the page on every path, and by sibling hosts when REFRESH_COOKIE_DOMAIN says so.
fn xsrf_cookie(settings: &RefreshCookieConfig, value: String, max_age: i64) -> Cookie<'static> {
    let mut cookie = base(settings, XSRF_COOKIE.to_owned(), value, max_age);
    cookie.set_path("/");
    if let Some(domain) = &settings.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}

fn base(
    settings: &RefreshCookieConfig,
    name: String,
    value: String,
    max_age: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .secure(settings.secure)
        .same_site(match settings.same_site {
            SameSite::Strict => CookieSameSite::Strict,
            SameSite::Lax => CookieSameSite::Lax,
            SameSite::None => CookieSameSite::None,
        })
        .max_age(Duration::seconds(max_age))
        .finish()
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;
    use crate::config::allowed_origins;

    fn allowed(app_url: &str, cors: &[&str], origin: Option<&str>) -> bool {
        let cors: Vec<String> = cors.iter().map(|o| o.to_string()).collect();
        let settings = RefreshCookieConfig {
            name: "refresh_token".into(),
            path: "/api".into(),
            domain: None,
            same_site: SameSite::Strict,
            secure: true,
            allowed_origins: allowed_origins(app_url, &cors),
        };
        let mut headers = HeaderMap::new();
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        origin_allowed(&settings, &headers)
    }

    #[test]
    fn an_origin_matches_app_url_as_a_browser_serialises_it() {
        let app = "https://App.Example.com:443/some/path";
        assert!(allowed(app, &[], Some("https://app.example.com")));
        assert!(!allowed(app, &[], Some("http://app.example.com")));
        assert!(!allowed(app, &[], Some("https://app.example.com:8443")));
        assert!(!allowed(app, &[], Some("https://evil.example")));
    }

    #[test]
    fn listed_cors_origins_are_allowed_and_null_never_is() {
        let (app, cors) = ("http://localhost:8000", &["http://localhost:5173"]);
        assert!(allowed(app, cors, Some("http://localhost:5173")));
        assert!(allowed(app, cors, Some("http://localhost:8000")));
        assert!(!allowed(app, cors, Some("null")));
        assert!(!allowed(app, cors, Some("not a url")));
        assert!(allowed(app, cors, None));
    }
}
