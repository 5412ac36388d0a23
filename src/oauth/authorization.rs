//! The authorization request (RFC 6749 §4.1.1 as OAuth 2.1 amends it, RFC 7636, RFC 8707, RFC
//! 9207): its parameters checked in the order that decides how a refusal is told — on a page while
//! the redirect URI is not trusted, by a redirect once it is.

use std::collections::HashMap;

use url::Url;

use super::openid::OPENID;
use super::redirect_uri;
use super::scopes::Scopes;
use crate::models::OAuthClient;

/// What `prompt` asks for (OpenID Connect Core §3.1.2.1; the values OAuth clients send too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Answer without showing a page: `login_required` / `consent_required` when one is needed.
    None,
    /// Sign in again, even with a live browser sign-in.
    Login,
    /// Ask for consent again, even when it was given.
    Consent,
}

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: OAuthClient,
    /// Where the answer goes: the registered URI, or the loopback one with its port.
    pub redirect_uri: String,
    /// Whether the request named it (then the token request must name it too).
    pub redirect_uri_sent: bool,
    pub state: Option<String>,
    pub scopes: Scopes,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    pub resource: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Option<Prompt>,
    /// OpenID Connect `max_age`: a browser sign-in older than this many seconds signs in again.
    pub max_age: Option<i64>,
}

/// Why an authorization request is refused, and how that is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Before the redirect URI is trusted: a page with status 400, never a redirect.
    Page(&'static str),
    /// Back to the client's redirect URI with `error`, `error_description`, `state` and `iss`.
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: &'static str,
        state: Option<String>,
    },
}

/// The parameters of a query string; `None` when one is sent twice (RFC 6749 §3.1) or the
/// string is not a query.
pub fn parameters(query: &str) -> Option<HashMap<String, String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let mut parameters = HashMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        if parameters.insert(name, value).is_some() {
            return None;
        }
    }
    Some(parameters)
}

/// Checks the request `parameters` of `client` (`None`: no such client); `openid_unavailable`
/// says why `openid` is refused on this server, if it is.
pub fn check(
    parameters: &HashMap<String, String>,
    client: Option<OAuthClient>,
    openid_unavailable: Option<&'static str>,
) -> Result<AuthorizationRequest, Refusal> {
    let get = |name: &str| {
        parameters
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let client = client.ok_or(Refusal::Page(
        "The client is not known: the application that sent you here is not registered.",
    ))?;
    let registered: Vec<&str> = client.redirect_uris().collect();
    let redirect_uri = match (get("redirect_uri"), registered.as_slice()) {
        (Some(sent), _) => registered
            .iter()
            .any(|uri| redirect_uri::matches(uri, sent))
            .then(|| sent.to_owned())
            .ok_or(Refusal::Page(
                "The redirect URI is not registered for this application.",
            ))?,
        (None, [only]) => (*only).to_owned(),
        (None, []) => {
            return Err(Refusal::Page(
                "This application has no redirect URI registered.",
            ));
        }
        (None, _) => {
            return Err(Refusal::Page(
                "The request must name its redirect_uri: this application has several.",
            ));
        }
    };
    let state = get("state").map(str::to_owned);
    let refuse = |error, description| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        description,
        state: state.clone(),
    };
    match get("response_type") {
        Some("code") => {}
        None => return Err(refuse("invalid_request", "response_type is required.")),
        Some(_) => {
            return Err(refuse(
                "unsupported_response_type",
                "Only response_type=code is supported.",
            ));
        }
    }
    if !client.allows_grant("authorization_code") {
        return Err(refuse(
            "unauthorized_client",
            "This client may not use the authorization code grant.",
        ));
    }
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (None, _) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge is required (PKCE, S256).",
            ));
        }
        (Some(_), None | Some("plain")) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256.",
            ));
        }
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => challenge.to_owned(),
        (Some(_), Some("S256")) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge must be 43 base64url characters (a SHA-256).",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256.",
            ));
        }
    };
    let allowed = Scopes::parse(&client.scopes).unwrap_or_default();
    let scopes = match get("scope") {
        None => Scopes::default(),
        Some(text) => match Scopes::parse(text) {
            Some(scopes) if scopes.is_subset(&allowed) => scopes,
            _ => {
                return Err(refuse(
                    "invalid_scope",
                    "A scope is unknown, or not one this client may ask for.",
                ));
            }
        },
    };
    if let Some(why) = openid_unavailable.filter(|_| scopes.contains(OPENID)) {
        return Err(refuse("invalid_scope", why));
    }
    let resource = match get("resource") {
        Some(resource) if !client.allows_resource(resource) => {
            return Err(refuse(
                "invalid_target",
                "The resource is not one this client may ask for.",
            ));
        }
        resource => resource.map(str::to_owned),
    };
    let prompt = match get("prompt") {
        None => None,
        Some("none") => Some(Prompt::None),
        Some("login") => Some(Prompt::Login),
        Some("consent") => Some(Prompt::Consent),
        Some(_) => {
            return Err(refuse(
                "invalid_request",
                "prompt must be none, login or consent.",
            ));
        }
    };
    let max_age = match get("max_age") {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(seconds) => Some(i64::from(seconds)),
            Err(_) => {
                return Err(refuse(
                    "invalid_request",
                    "max_age must be a number of seconds.",
                ));
            }
        },
    };
    Ok(AuthorizationRequest {
        redirect_uri_sent: get("redirect_uri").is_some(),
        redirect_uri,
        state,
        scopes,
        code_challenge,
        resource,
        nonce: get("nonce").map(str::to_owned),
        prompt,
        max_age,
        client,
    })
}

/// RFC 7636 §4.2: BASE64URL(SHA-256(verifier)), 43 characters without padding.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `redirect_uri` with `parameters` added to its query (RFC 6749 §4.1.2), and `iss` (RFC 9207).
pub fn redirect_to(redirect_uri: &str, issuer: &str, parameters: &[(&str, &str)]) -> String {
    let mut parameters = parameters.to_vec();
    parameters.push(("iss", issuer));
    with_query(redirect_uri, &parameters)
}

/// `uri` with `parameters` added to its query.
pub fn with_query(uri: &str, parameters: &[(&str, &str)]) -> String {
    match Url::parse(uri) {
        Ok(mut url) => {
            if !parameters.is_empty() {
                let mut query = url.query_pairs_mut();
                for (name, value) in parameters {
                    query.append_pair(name, value);
                }
            }
            url.into()
        }
        // A registered URI always parses; nothing else reaches here.
        Err(_) => uri.to_owned(),
    }
}

impl Refusal {
    /// Where a redirect refusal sends the browser (`None` for a page).
    pub fn location(&self, issuer: &str) -> Option<String> {
        match self {
            Self::Page(_) => None,
            Self::Redirect {
                redirect_uri,
                error,
                description,
                state,
            } => {
                let mut parameters = vec![("error", *error), ("error_description", *description)];
                if let Some(state) = state {
                    parameters.push(("state", state.as_str()));
                }
                Some(redirect_to(redirect_uri, issuer, &parameters))
            }
        }
    }
}
