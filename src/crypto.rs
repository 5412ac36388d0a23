//! Hashes and keyed hashes shared by every layer (Laravel: the Hash/Crypt helpers keyed by APP_KEY):
//! SHA-256 for stored token and secret digests, HMAC-SHA256 under APP_KEY for everything that must
//! not be reversible by a dictionary (email digests in logs, rate-limit keys).

use aws_lc_rs::{aead, digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// SHA-256 of `data`, as lowercase hex (what the database keeps of refresh tokens and client secrets).
pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

/// SHA-1 of `data`, as lowercase hex: only where a Laravel contract names it (the email hash of a
/// verification link), never to protect a secret.
pub fn sha1_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref())
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    text
}

/// 32 random bytes as base64url without padding (43 characters): an opaque token.
pub fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Length of APP_KEY in bytes (Laravel's AES-256 key).
pub const APP_KEY_BYTES: usize = 32;

/// `APP_KEY`: 32 random bytes, the one key for HMACs (and, later, encryption at rest). Each use
/// derives its own subkey under a label, so no two uses ever share a key.
#[derive(Clone)]
pub struct AppKey([u8; APP_KEY_BYTES]);

impl AppKey {
    /// Reads Laravel's format, `base64:` + 32 bytes in base64; the bare base64 is accepted too.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let encoded = text.trim();
        let encoded = encoded.strip_prefix("base64:").unwrap_or(encoded);
        let bytes = STANDARD
            .decode(encoded)
            .or_else(|_| URL_SAFE_NO_PAD.decode(encoded))
            .map_err(|_| "must be base64: (run `jwt-auth-server key:generate`)")?;
        let key: [u8; APP_KEY_BYTES] = bytes
            .try_into()
            .map_err(|_| "must be 32 bytes of base64 (run `jwt-auth-server key:generate`)")?;
        Ok(Self(key))
    }

    /// A new random key.
    pub fn generate() -> Result<Self, String> {
        let mut key = [0u8; APP_KEY_BYTES];
        getrandom::fill(&mut key).map_err(|e| format!("no random source: {e}"))?;
        Ok(Self(key))
    }

    /// Laravel's text form: `base64:…`.
    pub fn to_laravel_string(&self) -> String {
        format!("base64:{}", STANDARD.encode(self.0))
    }

    /// An HMAC-SHA256 key for one use, derived from APP_KEY under `label`.
    pub fn subkey(&self, label: &str) -> Hmac {
        Hmac::derived(&self.0, label)
    }

    /// An AES-256-GCM key for one use (encryption at rest), derived from APP_KEY under `label`.
    pub fn cipher(&self, label: &str) -> Result<Cipher, String> {
        let key = Hmac::from_bytes(&self.0).sign(label.as_bytes());
        aead::RandomizedNonceKey::new(&aead::AES_256_GCM, &key)
            .map(Cipher)
            .map_err(|e| format!("cannot make an AES-256-GCM key: {e}"))
    }
}

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(***)")
    }
}

/// AES-256-GCM with a random nonce per message: `seal` gives nonce ‖ ciphertext ‖ tag.
pub struct Cipher(aead::RandomizedNonceKey);

impl Cipher {
    /// Encrypts and authenticates `plaintext`.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, String> {
        let mut data = plaintext.to_vec();
        let nonce = self
            .0
            .seal_in_place_append_tag(aead::Aad::empty(), &mut data)
            .map_err(|e| format!("encryption failed: {e}"))?;
        let mut sealed = nonce.as_ref().to_vec();
        sealed.extend_from_slice(&data);
        Ok(sealed)
    }

    /// Checks and decrypts what [`seal`](Self::seal) made; an error for anything else, or under
    /// another key.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, String> {
        const NONCE: usize = aead::NONCE_LEN;
        if sealed.len() < NONCE {
            return Err("too short to be sealed".into());
        }
        let (nonce, rest) = sealed.split_at(NONCE);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).map_err(|e| e.to_string())?;
        let mut data = rest.to_vec();
        let plaintext = self
            .0
            .open_in_place(nonce, aead::Aad::empty(), &mut data)
            .map_err(|_| "cannot decrypt: another APP_KEY, or altered data".to_owned())?;
        Ok(plaintext.to_vec())
    }
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(***)")
    }
}

/// An HMAC-SHA256 key for one purpose.
#[derive(Clone)]
pub struct Hmac(hmac::Key);

impl Hmac {
    /// A key straight from raw bytes.
    pub fn from_bytes(key: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    /// The key for one use of `secret`: HMAC(secret, label) as a key of its own.
    pub fn derived(secret: &[u8], label: &str) -> Self {
        Self::from_bytes(&Self::from_bytes(secret).sign(label.as_bytes()))
    }

    /// The tag of `data` as base64url without padding (43 characters).
    pub fn sign_base64url(&self, data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.sign(data))
    }

    /// Whether `tag` is [`Self::sign_base64url`] of `data`, compared in constant time.
    pub fn verify_base64url(&self, data: &[u8], tag: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(tag)
            .is_ok_and(|tag| hmac::verify(&self.0, data, &tag).is_ok())
    }

    /// The tag of `data` as lowercase hex (64 characters): Laravel's signed-URL `signature`.
    pub fn sign_hex(&self, data: &[u8]) -> String {
        hex(&self.sign(data))
    }

    /// Whether `tag` is [`Self::sign_hex`] of `data` (64 lowercase hex digits, nothing else),
    /// compared in constant time.
    pub fn verify_hex(&self, data: &[u8], tag: &str) -> bool {
        let lowercase_hex = tag.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let bytes: Option<Vec<u8>> = (tag.len() == 64 && lowercase_hex)
            .then(|| {
                (0..64)
                    .step_by(2)
                    .map(|i| u8::from_str_radix(tag.get(i..i + 2)?, 16).ok())
                    .collect()
            })
            .flatten();
        bytes.is_some_and(|tag| hmac::verify(&self.0, data, &tag).is_ok())
    }

    /// The 32-byte tag of `data`.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(&self.0, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// The first 16 bytes of the tag: a fixed-size key for maps (collisions need 2^64 tries).
    pub fn short(&self, data: &[u8]) -> [u8; 16] {
        let mut out = [0u8; 16];
        out.copy_from_slice(&self.sign(data)[..16]);
        out
    }
}

impl std::fmt::Debug for Hmac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hmac(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hex_tag_is_accepted_only_in_its_one_lowercase_form() {
        let key = Hmac::from_bytes(b"key");
        let tag = key.sign_hex(b"data");
        assert!(key.verify_hex(b"data", &tag));
        assert!(!key.verify_hex(b"data", &tag.to_ascii_uppercase()));
        assert!(!key.verify_hex(b"other", &tag));
        assert!(!key.verify_hex(b"data", &format!("+{}", &tag[1..])));
        assert!(!key.verify_hex(b"data", &tag[..62]));
        assert!(!key.verify_hex(b"data", ""));
    }

    #[test]
    fn sha256_is_the_standard_one() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn app_keys_read_laravels_format_and_the_bare_base64() {
        let key = AppKey::generate().unwrap();
        let text = key.to_laravel_string();
        assert!(
            text.starts_with("base64:") && text.len() == 7 + 44,
            "{text}"
        );
        let again = AppKey::parse(&text).unwrap();
        assert_eq!(again.0, key.0);
        assert_eq!(AppKey::parse(&text[7..]).unwrap().0, key.0);
        assert!(AppKey::parse("base64:c2hvcnQ=").is_err(), "5 bytes");
        assert!(AppKey::parse("not base64 at all!").is_err());
        assert_eq!(format!("{key:?}"), "AppKey(***)");
    }

    #[test]
    fn sealed_data_opens_only_under_its_key() {
        let key = AppKey::generate().unwrap();
        let sealed = key.cipher("a").unwrap().seal(b"private key").unwrap();
        assert_eq!(
            key.cipher("a").unwrap().open(&sealed).unwrap(),
            b"private key"
        );
        assert!(key.cipher("b").unwrap().open(&sealed).is_err());
        assert!(
            AppKey::generate()
                .unwrap()
                .cipher("a")
                .unwrap()
                .open(&sealed)
                .is_err()
        );
        let mut altered = sealed.clone();
        altered[20] ^= 1;
        assert!(key.cipher("a").unwrap().open(&altered).is_err());
        assert_ne!(
            sealed,
            key.cipher("a").unwrap().seal(b"private key").unwrap(),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn subkeys_differ_by_label_and_by_key() {
        let key = AppKey::parse(&format!("base64:{}", STANDARD.encode([7u8; 32]))).unwrap();
        let other = AppKey::parse(&format!("base64:{}", STANDARD.encode([8u8; 32]))).unwrap();
        let a = key.subkey("a").sign(b"x");
        assert_eq!(a, key.subkey("a").sign(b"x"));
        assert_ne!(a, key.subkey("b").sign(b"x"));
        assert_ne!(a, other.subkey("a").sign(b"x"));
    }
}
