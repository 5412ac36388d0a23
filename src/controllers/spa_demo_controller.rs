//! The browser demo (SPA_DEMO=true): the page of examples/spa, the Axios client of examples/axios
//! and Axios itself from examples/node_modules, served from the same origin so it needs no CORS.
//! The page also answers where the account mails point (FRONTEND_URL defaults to APP_URL):
//! `/reset-password` and `/email-verified`. Only these files can be served: the path never
//! becomes a file name.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{AppError, AppResult};

/// URL path -> (file under the working directory, content type).
const ASSETS: [(&str, &str, &str); 6] = [
    ("/", "examples/spa/index.html", "text/html; charset=utf-8"),
    (
        "/reset-password",
        "examples/spa/index.html",
        "text/html; charset=utf-8",
    ),
    (
        "/email-verified",
        "examples/spa/index.html",
        "text/html; charset=utf-8",
    ),
    (
        "/app.js",
        "examples/spa/app.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/jwt-client.js",
        "examples/axios/jwt-client.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/vendor/axios.js",
        "examples/node_modules/axios/dist/esm/axios.min.js",
        "text/javascript; charset=utf-8",
    ),
];

/// The paths the demo answers.
pub fn paths() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|(path, _, _)| *path)
}

/// `GET /` (also `/reset-password` and `/email-verified`), `/app.js`, `/jwt-client.js`,
/// `/vendor/axios.js`.
pub async fn asset(req: HttpRequest) -> AppResult<HttpResponse> {
    let (_, file, content_type) = *ASSETS
        .iter()
        .find(|(path, _, _)| *path == req.path())
        .ok_or(AppError::NotFound)?;
    let body = web::block(move || std::fs::read(file))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| {
            tracing::warn!(file, error = %e, "SPA demo file missing (run from the repository root, after `npm ci --prefix examples`)");
            AppError::NotFound
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}
