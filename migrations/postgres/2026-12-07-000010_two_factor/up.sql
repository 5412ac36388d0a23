-- Two-factor sign-in (Fortify's columns): the TOTP secret sealed under APP_KEY, when it was
-- confirmed (two-factor is on from then), and the last time step a code was accepted for, so no
-- code is accepted twice.
ALTER TABLE users ADD COLUMN two_factor_secret TEXT NULL;
ALTER TABLE users ADD COLUMN two_factor_confirmed_at TIMESTAMP NULL;
ALTER TABLE users ADD COLUMN two_factor_last_step BIGINT NULL;
-- How each session's login was proven (RFC 8176 values, space-separated); sessions from before
-- two-factor existed were started with a password alone.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
-- Recovery codes: keyed hashes, each usable once.
CREATE TABLE two_factor_recovery_codes (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL
);
CREATE INDEX two_factor_recovery_codes_user_id ON two_factor_recovery_codes (user_id);
-- The step between a right password and the second factor: an opaque token by its hash.
CREATE TABLE two_factor_challenges (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    network TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL
);
CREATE INDEX two_factor_challenges_user_id ON two_factor_challenges (user_id);
CREATE INDEX two_factor_challenges_expires_at ON two_factor_challenges (expires_at);
