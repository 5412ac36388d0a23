//! OAuth 2.0 beside the Laravel flow (Laravel Passport / league/oauth2-server): the authorization
//! code, password, client-credentials and refresh-token grants (RFC 6749), revocation (RFC 7009),
//! rotation with reuse detection, and OpenID Connect on top of the code flow. Access tokens are
//! the same JWTs the rest of the API accepts, plus `client_id`, `scope` and `sid` (the session).

pub mod authorization;
pub mod client_auth;
pub mod code_grant;
pub mod discovery;
pub mod error;
pub mod grants;
pub mod introspection;
pub mod openid;
pub mod params;
pub mod redirect_uri;
pub mod refresh_token;
pub mod scopes;

pub use error::OAuthError;
pub use params::OAuthParams;
