//! Signing keys: the algorithms (`JWT_ALGO`), generating a key pair, reading tymon's PEM files,
//! and the key ring a [`JwtService`](super::JwtService) signs and verifies with. A key is known by
//! its `kid`, the RFC 7638 thumbprint of its public JWK; a token names it in its header.

use std::collections::HashMap;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{DecodingKey, EncodingKey};

pub use crate::config::Algo;

/// A key that verifies: its kid, algorithm, public JWK and decoding key.
#[derive(Clone)]
pub struct PublicKey {
    pub kid: String,
    pub algo: Algo,
    pub jwk: Jwk,
    pub(super) decoding: DecodingKey,
}

/// A key that signs, and its public half.
#[derive(Clone)]
pub struct KeyPair {
    pub public: PublicKey,
    pub(super) encoding: EncodingKey,
}

/// Why a key could not be made or read.
pub type KeyError = String;

impl KeyPair {
    /// A new key pair of `algo` (asymmetric only) and its private key as PKCS#8 DER, for storing.
    pub fn generate(algo: Algo) -> Result<(Self, Vec<u8>), KeyError> {
        let failed =
            |e: aws_lc_rs::error::Unspecified| format!("cannot generate a {algo:?} key: {e}");
        let pkcs8 = match algo {
            Algo::ES256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .and_then(|k| k.to_pkcs8v1())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Algo::EdDSA => Ed25519KeyPair::generate()
                .and_then(|k| k.to_pkcs8v1())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Algo::RS256 => aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .and_then(|k| k.as_der())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Algo::HS256 => return Err("HS256 has no key pair: it signs with JWT_SECRET".into()),
        };
        Ok((Self::from_pkcs8(algo, &pkcs8)?, pkcs8))
    }

    /// The key pair of a stored PKCS#8 private key.
    pub fn from_pkcs8(algo: Algo, der: &[u8]) -> Result<Self, KeyError> {
        let encoding = match algo {
            Algo::ES256 => EncodingKey::from_ec_der(der),
            Algo::EdDSA => EncodingKey::from_ed_der(der),
            // jsonwebtoken reads RSA private keys as PKCS#1, or as PKCS#8 through PEM.
            Algo::RS256 => EncodingKey::from_rsa_pem(pem("PRIVATE KEY", der).as_bytes())
                .map_err(|e| format!("not an RSA private key: {e}"))?,
            Algo::HS256 => return Err("HS256 has no key pair".into()),
        };
        Self::from_encoding_key(algo, encoding)
    }

    /// tymon's `JWT_PRIVATE_KEY`: a PEM private key of `algo` (PKCS#8; RSA also PKCS#1).
    pub fn from_pem(algo: Algo, pem_text: &[u8]) -> Result<Self, KeyError> {
        let encoding = match algo {
            Algo::ES256 => EncodingKey::from_ec_pem(pem_text),
            Algo::EdDSA => EncodingKey::from_ed_pem(pem_text),
            Algo::RS256 => EncodingKey::from_rsa_pem(pem_text),
            Algo::HS256 => return Err("HS256 has no key pair".into()),
        }
        .map_err(|e| format!("not a {} private key in PEM: {e}", algo.as_str()))?;
        Self::from_encoding_key(algo, encoding)
    }

    fn from_encoding_key(algo: Algo, encoding: EncodingKey) -> Result<Self, KeyError> {
        let jwk = Jwk::from_encoding_key(&encoding, algo.algorithm())
            .map_err(|e| format!("cannot derive the public {} key: {e}", algo.as_str()))?;
        Ok(Self {
            public: PublicKey::from_jwk(algo, jwk)?,
            encoding,
        })
    }
}

impl PublicKey {
    /// A verifying key from its public JWK; its kid becomes the RFC 7638 thumbprint.
    pub fn from_jwk(algo: Algo, mut jwk: Jwk) -> Result<Self, KeyError> {
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| format!("cannot take the key's thumbprint: {e}"))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(
            serde_json::from_value(serde_json::Value::String(algo.as_str().into()))
                .map_err(|e| format!("unknown JWK algorithm: {e}"))?,
        );
        let decoding =
            DecodingKey::from_jwk(&jwk).map_err(|e| format!("not a usable public key: {e}"))?;
        Ok(Self {
            kid,
            algo,
            jwk,
            decoding,
        })
    }

    /// tymon's `JWT_PUBLIC_KEY`: the public PEM of a fixed key, checked against its private half.
    pub fn matches_pem(&self, pem_text: &[u8]) -> bool {
        let decoding = match self.algo {
            Algo::ES256 => DecodingKey::from_ec_pem(pem_text),
            Algo::EdDSA => DecodingKey::from_ed_pem(pem_text),
            Algo::RS256 => DecodingKey::from_rsa_pem(pem_text),
            Algo::HS256 => return false,
        };
        decoding
            .ok()
            .and_then(|d| Jwk::from_decoding_key(&d, Some(self.algo.algorithm())).ok())
            .and_then(|jwk| jwk.thumbprint(ThumbprintHash::SHA256).ok())
            .is_some_and(|kid| kid == self.kid)
    }
}

/// `der` as PEM text with the given label.
fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The keys an instance holds: the one that signs (none under HS256) and every one that verifies,
/// by kid, with the JWKS they publish.
#[derive(Clone, Default)]
pub struct KeyRing {
    pub signing: Option<KeyPair>,
    pub verifying: HashMap<String, PublicKey>,
}

impl KeyRing {
    /// A ring that signs with `signing` and verifies with it and `others`.
    pub fn new(signing: Option<KeyPair>, others: Vec<PublicKey>) -> Self {
        let mut verifying: HashMap<String, PublicKey> =
            others.into_iter().map(|k| (k.kid.clone(), k)).collect();
        if let Some(key) = &signing {
            verifying.insert(key.public.kid.clone(), key.public.clone());
        }
        Self { signing, verifying }
    }

    /// `{"keys":[…]}`: every verifying key's public JWK, in kid order.
    pub fn jwks(&self) -> JwkSet {
        let mut keys: Vec<Jwk> = self.verifying.values().map(|k| k.jwk.clone()).collect();
        keys.sort_by(|a, b| a.common.key_id.cmp(&b.common.key_id));
        JwkSet { keys }
    }
}
