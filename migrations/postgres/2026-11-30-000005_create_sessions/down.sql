DELETE FROM sessions WHERE client_id IS NULL;
DROP INDEX sessions_revoked_at_index;
ALTER TABLE sessions
    DROP COLUMN user_agent,
    DROP COLUMN ip,
    DROP COLUMN last_seen_at,
    DROP COLUMN revoked_reason,
    ALTER COLUMN scopes DROP DEFAULT,
    ALTER COLUMN client_id SET NOT NULL;
ALTER INDEX sessions_user_id_index RENAME TO oauth_sessions_user_id_index;
ALTER INDEX sessions_expires_at_index RENAME TO oauth_sessions_expires_at_index;
ALTER TABLE sessions RENAME TO oauth_sessions;
