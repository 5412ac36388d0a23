//! What a client finds at `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3)
//! and `/.well-known/oauth-authorization-server` (RFC 8414 §2): one document, served at both.

use serde::Serialize;
use utoipa::ToSchema;

use super::openid::{EMAIL, OPENID, PROFILE};
use super::scopes::{OFFLINE_ACCESS, Scopes};
use crate::config::{Algo, Config};

/// The provider's metadata: its endpoints and what each accepts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    /// RP-Initiated Logout 1.0.
    pub end_session_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    /// `code`: the authorization code grant, the only redirect-based one.
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    /// `public`: `sub` is the user's id, the same for every client.
    pub subject_types_supported: Vec<&'static str>,
    /// The key ring's algorithm; empty under HS256, where `openid` is refused.
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    /// `openid profile email offline_access` (when ID tokens can be signed) and the scopes an
    /// administrator made public (`OAUTH_PUBLIC_SCOPES`).
    pub scopes_supported: Vec<String>,
    pub claims_supported: Vec<&'static str>,
    /// `S256` only: `plain` is refused (OAuth 2.1).
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// RFC 9207: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub claims_parameter_supported: bool,
    pub frontchannel_logout_supported: bool,
    pub backchannel_logout_supported: bool,
}

/// The metadata of a server configured by `config`, whose ID tokens are signed with `id_token_algo`
/// (`None`: it cannot be an OpenID Provider).
pub fn metadata(config: &Config, id_token_algo: Option<Algo>) -> ProviderMetadata {
    let base = config.app_url.trim_end_matches('/');
    let at = |path: &str| format!("{base}{path}");
    // Only what an administrator made public: a client's own scopes are its business.
    let public = config
        .oauth
        .public_scopes
        .iter()
        .filter_map(|scope| Scopes::parse(scope))
        .flat_map(|scopes| scopes.iter().map(str::to_owned).collect::<Vec<_>>());
    let standard = id_token_algo
        .map(|_| [OPENID, PROFILE, EMAIL, OFFLINE_ACCESS].map(str::to_owned))
        .into_iter()
        .flatten();
    let mut scopes_supported: Vec<String> = Vec::new();
    for scope in standard.chain(public) {
        if !scopes_supported.contains(&scope) {
            scopes_supported.push(scope);
        }
    }
    let secret_methods = vec!["client_secret_basic", "client_secret_post"];
    let all_methods = vec!["client_secret_basic", "client_secret_post", "none"];
    ProviderMetadata {
        issuer: config.jwt.issuer.clone(),
        authorization_endpoint: at("/oauth/authorize"),
        token_endpoint: at("/oauth/token"),
        userinfo_endpoint: at("/oauth/userinfo"),
        jwks_uri: at("/.well-known/jwks.json"),
        end_session_endpoint: at("/oauth/logout"),
        revocation_endpoint: at("/oauth/revoke"),
        introspection_endpoint: at("/oauth/introspect"),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: id_token_algo
            .map(Algo::as_str)
            .into_iter()
            .collect(),
        scopes_supported,
        claims_supported: vec![
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "amr",
            "acr",
            "sid",
            "at_hash",
            "name",
            "email",
            "email_verified",
            "updated_at",
        ],
        code_challenge_methods_supported: vec!["S256"],
        grant_types_supported: vec![
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
        ],
        token_endpoint_auth_methods_supported: all_methods.clone(),
        revocation_endpoint_auth_methods_supported: all_methods,
        introspection_endpoint_auth_methods_supported: secret_methods,
        authorization_response_iss_parameter_supported: true,
        request_parameter_supported: false,
        claims_parameter_supported: false,
        frontchannel_logout_supported: false,
        backchannel_logout_supported: false,
    }
}
