//! OAuth 2.0 token endpoint beside the Laravel flow (Laravel Passport / league/oauth2-server):
//! the password and refresh-token grants (RFC 6749), revocation (RFC 7009), rotation with reuse
//! detection. Access tokens are the same JWTs the rest of the API accepts, plus `client_id`,
//! `scope` and `sid` (the session).

pub mod authorization;
pub mod client_auth;
pub mod code_grant;
pub mod error;
pub mod grants;
pub mod introspection;
pub mod params;
pub mod redirect_uri;
pub mod refresh_token;
pub mod scopes;

pub use error::OAuthError;
pub use params::OAuthParams;
