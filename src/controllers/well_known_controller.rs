//! `/.well-known/…`: the public signing keys (RFC 7517 JWKS), for services that verify our tokens
//! offline, and the provider's metadata (OpenID Connect Discovery 1.0, RFC 8414).

use crate::crypto::sha256_hex;
use crate::oauth::discovery::{self, ProviderMetadata};
use crate::oauth::openid;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// How long verifiers may keep the key set and the metadata before asking again.
const MAX_AGE: &str = "public, max-age=300";

/// `GET /.well-known/jwks.json`: every `next`, `current` and `previous` key (none under HS256
/// alone), with an ETag; `If-None-Match` with it is answered 304.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys", responses(
    (status = 200, description = "RFC 7517 JWK set (Cache-Control: public, max-age=300; ETag)"),
    (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
))]
pub async fn jwks(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    cached_json(&req, serde_json::to_vec(&state.jwt.ring().jwks()))
}

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4): the provider's
/// metadata, cached and revalidated like the JWKS (its signing algorithm follows the ring).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oauth", responses(
    (status = 200, description = "OpenID Provider metadata (Cache-Control: public, max-age=300; ETag)", body = ProviderMetadata),
    (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
))]
pub async fn openid_configuration(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    cached_json(&req, serde_json::to_vec(&metadata_of(&state)))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3): the same document.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth", responses(
    (status = 200, description = "RFC 8414 authorization server metadata (Cache-Control: public, max-age=300; ETag)", body = ProviderMetadata),
    (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
))]
pub async fn authorization_server(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    cached_json(&req, serde_json::to_vec(&metadata_of(&state)))
}

fn metadata_of(state: &AppState) -> ProviderMetadata {
    let algo = openid::unavailable(&state.config)
        .is_none()
        .then(|| state.jwt.id_token_algo())
        .flatten();
    discovery::metadata(&state.config, algo)
}

/// `body` as public JSON with an ETag of its own; 304 to a request that names that ETag.
fn cached_json(req: &HttpRequest, body: serde_json::Result<Vec<u8>>) -> HttpResponse {
    let body = body.unwrap_or_default();
    let etag = format!("\"{}\"", &sha256_hex(&body)[..32]);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| {
            // A weak comparison (RFC 9110 §8.8.3.2): a proxy that compressed the body marks it W/.
            sent.split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == etag || tag == "*")
        });
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, MAX_AGE))
        .insert_header((header::ETAG, etag));
    if unchanged {
        response.finish()
    } else {
        response.content_type("application/json").body(body)
    }
}
