-- OAuth 2.0 (RFC 6749) beside the Laravel flow: clients, sessions (one per login: the refresh-token
-- family) and refresh tokens, stored only as SHA-256 hashes.
CREATE TABLE oauth_clients (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    -- SHA-256 (hex) of the secret; NULL for a public client
    secret_hash VARCHAR(64) NULL,
    -- space-separated grant types the client may use
    grant_types TEXT NOT NULL,
    -- space-separated scopes the client may ask for
    scopes TEXT NOT NULL,
    -- 1: a first-party client, the only kind allowed the password grant
    first_party INTEGER NOT NULL DEFAULT 0,
    -- 1: a refresh token with every grant, not only when offline_access is granted
    always_issue_refresh_token INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE oauth_sessions (
    -- the `sid` claim of the session's access tokens
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id UUID NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- the absolute end of the family (OAUTH_REFRESH_TTL after the login)
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP NULL
);
CREATE INDEX oauth_sessions_user_id_index ON oauth_sessions (user_id);
CREATE INDEX oauth_sessions_expires_at_index ON oauth_sessions (expires_at);

CREATE TABLE oauth_refresh_tokens (
    -- SHA-256 (hex) of the token; the token itself is never stored
    token_hash VARCHAR(64) PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES oauth_sessions (id) ON DELETE CASCADE,
    parent_hash VARCHAR(64) NULL,
    client_id UUID NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- when it was rotated (exchanged for its child)
    used_at TIMESTAMP NULL,
    revoked_at TIMESTAMP NULL
);
CREATE INDEX oauth_refresh_tokens_session_id_index ON oauth_refresh_tokens (session_id);
CREATE INDEX oauth_refresh_tokens_created_at_index ON oauth_refresh_tokens (created_at);
