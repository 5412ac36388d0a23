CREATE TABLE oauth_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NULL
);
INSERT INTO oauth_sessions SELECT id, user_id, client_id, scopes, created_at, expires_at, revoked_at FROM sessions WHERE client_id IS NOT NULL;
CREATE INDEX oauth_sessions_user_id_index ON oauth_sessions (user_id);
CREATE INDEX oauth_sessions_expires_at_index ON oauth_sessions (expires_at);
CREATE TABLE oauth_refresh_tokens_old (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES oauth_sessions (id) ON DELETE CASCADE,
    parent_hash TEXT NULL,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT NULL,
    revoked_at TEXT NULL
);
INSERT INTO oauth_refresh_tokens_old SELECT * FROM oauth_refresh_tokens WHERE session_id IN (SELECT id FROM oauth_sessions);
DROP TABLE oauth_refresh_tokens;
ALTER TABLE oauth_refresh_tokens_old RENAME TO oauth_refresh_tokens;
CREATE INDEX oauth_refresh_tokens_session_id_index ON oauth_refresh_tokens (session_id);
CREATE INDEX oauth_refresh_tokens_created_at_index ON oauth_refresh_tokens (created_at);
DROP TABLE sessions;
