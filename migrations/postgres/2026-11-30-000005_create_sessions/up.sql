-- Every login is a session: /api logins (no client) and OAuth password grants alike. The OAuth
-- sessions become rows of this table (same ids, so the `sid` of their tokens still matches).
ALTER TABLE oauth_sessions RENAME TO sessions;
ALTER INDEX oauth_sessions_user_id_index RENAME TO sessions_user_id_index;
ALTER INDEX oauth_sessions_expires_at_index RENAME TO sessions_expires_at_index;
ALTER TABLE sessions
    ALTER COLUMN client_id DROP NOT NULL,
    ALTER COLUMN scopes SET DEFAULT '',
    -- the first 255 characters of the login's User-Agent
    ADD COLUMN user_agent VARCHAR(255) NULL,
    -- the client's address at login
    ADD COLUMN ip VARCHAR(45) NULL,
    -- written at most once a minute by the guard, and by every refresh
    ADD COLUMN last_seen_at TIMESTAMP NULL,
    -- logout, logout_everywhere, deleted, password_changed, refresh_reuse, revoked
    ADD COLUMN revoked_reason VARCHAR(32) NULL;
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_seen_at SET NOT NULL;
CREATE INDEX sessions_revoked_at_index ON sessions (revoked_at);
