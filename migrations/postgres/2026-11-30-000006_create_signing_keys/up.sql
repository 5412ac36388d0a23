-- The key ring every instance signs and verifies with (JWT_ALGO ES256, EdDSA or RS256).
CREATE TABLE signing_keys (
    -- the RFC 7638 thumbprint of the public JWK
    kid VARCHAR(64) PRIMARY KEY,
    algorithm VARCHAR(8) NOT NULL,
    public_jwk TEXT NOT NULL,
    -- base64 of AES-256-GCM (nonce, ciphertext, tag) of the PKCS#8 private key, under APP_KEY
    private_key TEXT NOT NULL,
    -- next (published, not signing) | current (signs) | previous (verifies) | retired
    state VARCHAR(8) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- when it entered its state
    state_since TIMESTAMP NOT NULL
);
-- At most one key signs.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';
