//! `/.well-known/…`: the public signing keys (RFC 7517 JWKS), for services that verify our tokens
//! offline, and the authorization server's metadata (RFC 8414).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::crypto::sha256_hex;
use crate::oauth::scopes::Scopes;
use crate::state::AppState;

/// How long verifiers may keep the key set before asking again.
const JWKS_MAX_AGE: &str = "public, max-age=300";

/// `GET /.well-known/jwks.json`: every `next`, `current` and `previous` key (none under HS256
/// alone), with an ETag; `If-None-Match` with it is answered 304.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys", responses(
    (status = 200, description = "RFC 7517 JWK set (Cache-Control: public, max-age=300; ETag)"),
    (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
))]
pub async fn jwks(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let body = serde_json::to_vec(&state.jwt.ring().jwks()).unwrap_or_default();
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
        .insert_header((header::CACHE_CONTROL, JWKS_MAX_AGE))
        .insert_header((header::ETAG, etag));
    if unchanged {
        response.finish()
    } else {
        response.content_type("application/json").body(body)
    }
}

/// RFC 8414 §2: what a client needs to find and use this server.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub jwks_uri: String,
    pub authorization_endpoint: String,
    /// `code`: the authorization code grant, the only redirect-based one.
    pub response_types_supported: Vec<&'static str>,
    /// `S256` only: `plain` is refused (OAuth 2.1).
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// RFC 9207: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The scopes an administrator made public (`OAUTH_PUBLIC_SCOPES`).
    pub scopes_supported: Vec<String>,
}

/// `GET /.well-known/oauth-authorization-server`.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth", responses(
    (status = 200, description = "RFC 8414 authorization server metadata", body = AuthorizationServerMetadata),
))]
pub async fn authorization_server(
    state: web::Data<AppState>,
) -> web::Json<AuthorizationServerMetadata> {
    // Only what an administrator made public: a client's own scopes are its business.
    let scopes_supported = state
        .config
        .oauth
        .public_scopes
        .iter()
        .filter_map(|scope| Scopes::parse(scope))
        .flat_map(|scopes| scopes.iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let base = state.config.app_url.trim_end_matches('/');
    let secret_methods = vec!["client_secret_basic", "client_secret_post"];
    let all_methods = vec!["client_secret_basic", "client_secret_post", "none"];
    web::Json(AuthorizationServerMetadata {
        issuer: state.config.jwt.issuer.clone(),
        token_endpoint: format!("{base}/oauth/token"),
        revocation_endpoint: format!("{base}/oauth/revoke"),
        introspection_endpoint: format!("{base}/oauth/introspect"),
        jwks_uri: format!("{base}/.well-known/jwks.json"),
        authorization_endpoint: format!("{base}/oauth/authorize"),
        response_types_supported: vec!["code"],
        code_challenge_methods_supported: vec!["S256"],
        authorization_response_iss_parameter_supported: true,
        grant_types_supported: vec![
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
        ],
        token_endpoint_auth_methods_supported: all_methods.clone(),
        revocation_endpoint_auth_methods_supported: all_methods,
        introspection_endpoint_auth_methods_supported: secret_methods,
        scopes_supported,
    })
}
