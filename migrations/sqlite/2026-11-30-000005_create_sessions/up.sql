-- Every login is a session: /api logins (no client) and OAuth password grants alike. The OAuth
-- sessions become rows of this table (same ids, so the `sid` of their tokens still matches).
-- SQLite cannot drop NOT NULL, so the tables are rebuilt: sessions first, then the refresh tokens
-- pointing at it, and only then the old sessions go (foreign keys are on: nothing cascades).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NULL,
    -- the first 255 characters of the login's User-Agent
    user_agent TEXT NULL,
    -- the client's address at login
    ip TEXT NULL,
    -- written at most once a minute by the guard, and by every refresh
    last_seen_at TEXT NOT NULL,
    -- logout, logout_everywhere, deleted, password_changed, refresh_reuse, revoked
    revoked_reason TEXT NULL
);
INSERT INTO sessions (id, user_id, client_id, scopes, created_at, expires_at, revoked_at, last_seen_at)
    SELECT id, user_id, client_id, scopes, created_at, expires_at, revoked_at, created_at FROM oauth_sessions;
CREATE INDEX sessions_user_id_index ON sessions (user_id);
CREATE INDEX sessions_expires_at_index ON sessions (expires_at);
CREATE INDEX sessions_revoked_at_index ON sessions (revoked_at);

CREATE TABLE oauth_refresh_tokens_new (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    parent_hash TEXT NULL,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT NULL,
    revoked_at TEXT NULL
);
INSERT INTO oauth_refresh_tokens_new SELECT token_hash, session_id, parent_hash, client_id, scopes, created_at, used_at, revoked_at FROM oauth_refresh_tokens;
DROP TABLE oauth_refresh_tokens;
ALTER TABLE oauth_refresh_tokens_new RENAME TO oauth_refresh_tokens;
CREATE INDEX oauth_refresh_tokens_session_id_index ON oauth_refresh_tokens (session_id);
CREATE INDEX oauth_refresh_tokens_created_at_index ON oauth_refresh_tokens (created_at);
DROP TABLE oauth_sessions;
