-- OAuth 2.1 (issue 24): what a client may redirect to and ask for, the audience of each login's
-- tokens, authorization codes, remembered consents, and the browser sign-ins of /oauth/authorize.
ALTER TABLE oauth_clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_clients ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_clients ADD COLUMN skip_consent BOOLEAN NOT NULL DEFAULT FALSE;
-- The resource (RFC 8707) the session's access tokens are for: their `aud`; NULL for the default.
ALTER TABLE sessions ADD COLUMN resource TEXT NULL;
-- Authorization codes by the SHA-256 of their value: single use, 60 seconds.
CREATE TABLE oauth_auth_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    client_id UUID NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    redirect_uri_sent BOOLEAN NOT NULL,
    code_challenge TEXT NOT NULL,
    scopes TEXT NOT NULL,
    resource TEXT NULL,
    nonce TEXT NULL,
    amr TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL,
    -- The session its redemption started: ended if the code is presented again.
    session_id UUID NULL
);
CREATE INDEX oauth_auth_codes_expires_at ON oauth_auth_codes (expires_at);
-- What a user allowed a client (Passport: a token's scopes remembered for `prompt=consent`).
CREATE TABLE oauth_consents (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id UUID NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
-- A browser's sign-in at /oauth/authorize (its cookie holds the id): ten minutes.
CREATE TABLE oauth_authorization_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amr TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX oauth_authorization_sessions_expires_at ON oauth_authorization_sessions (expires_at);
