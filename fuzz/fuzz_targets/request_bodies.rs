//! Any bytes as a request body (JSON or form) for every body the API parses, and the small parsers
//! that read client or operator input: an answer or an error, never a panic.
#![no_main]

use jwt_auth_server::db::DatabaseUrl;
use jwt_auth_server::oauth::OAuthParams;
use jwt_auth_server::oauth::scopes::Scopes;
use jwt_auth_server::rate_limit::IpNet;
use jwt_auth_server::requests::{BodyFormat, LoginRequest, RegisterRequest, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let format = if selector & 1 == 0 { BodyFormat::Json } else { BodyFormat::Form };
    match (selector >> 1) % 4 {
        0 => drop(validate::<RegisterRequest>(format, body)),
        1 => drop(validate::<LoginRequest>(format, body)),
        2 => drop(OAuthParams::from_body(format, body)),
        _ => {
            if let Ok(text) = std::str::from_utf8(body) {
                let _ = (Scopes::parse(text), IpNet::parse(text), DatabaseUrl::parse(text));
            }
        }
    }
});
