//! tymon/jwt-auth's words for a token that cannot be read, shared by our tokens and tymon's.

use jsonwebtoken::errors::ErrorKind;

/// tymon/jwt-auth's wording for each reason a token is refused.
pub(super) fn decode_failure(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "Token Signature could not be verified.",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            "Token algorithm is not accepted"
        }
        ErrorKind::ImmatureSignature => "Not Before (nbf) timestamp cannot be in the future",
        ErrorKind::InvalidIssuer => "Invalid value provided for claim [iss]",
        ErrorKind::MissingRequiredClaim(_) => "JWT payload does not contain the required claims",
        _ => "Could not decode token",
    }
}
