//! `JWT_ALGO`: the signing algorithms the server knows.

use jsonwebtoken::Algorithm;

/// `JWT_ALGO`: how tokens are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algo {
    /// HMAC-SHA256 with JWT_SECRET (tymon's default): whoever verifies can also sign.
    HS256,
    /// ECDSA P-256: small keys and signatures; recommended for new installs.
    ES256,
    /// Ed25519.
    EdDSA,
    /// RSA 2048 with SHA-256: for verifiers that know nothing else.
    RS256,
}

impl Algo {
    /// `HS256`, `ES256`, `EdDSA` or `RS256`, as JWT headers and JWKs spell them.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "HS256" => Some(Self::HS256),
            "ES256" => Some(Self::ES256),
            "EdDSA" => Some(Self::EdDSA),
            "RS256" => Some(Self::RS256),
            _ => None,
        }
    }

    /// The name JWT headers and JWKs use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
            Self::RS256 => "RS256",
        }
    }

    /// jsonwebtoken's name for it.
    pub fn algorithm(self) -> Algorithm {
        match self {
            Self::HS256 => Algorithm::HS256,
            Self::ES256 => Algorithm::ES256,
            Self::EdDSA => Algorithm::EdDSA,
            Self::RS256 => Algorithm::RS256,
        }
    }

    /// Whether tokens carry a `kid` and verifiers use a public key.
    pub fn is_asymmetric(self) -> bool {
        self != Self::HS256
    }
}
