-- One row per token that was refreshed or logged out, keyed by its jti: the primary key is what makes
-- concurrent refreshes of one token safe (the loser of the race sees the conflict).
CREATE TABLE blacklisted_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- max(exp, orig_iat + refresh window) + leeway: before then the token could still be refreshed
    expires_at TEXT NOT NULL,
    -- the old token keeps working until then (JWT_BLACKLIST_GRACE_PERIOD); <= created_at when none
    grace_until TEXT NOT NULL,
    -- the token a refresh minted, so a refresh during the grace hands out the same one
    successor_jti TEXT NULL,
    successor_iat BIGINT NULL,
    successor_exp BIGINT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX blacklisted_tokens_expires_at_index ON blacklisted_tokens (expires_at);
CREATE INDEX blacklisted_tokens_user_id_index ON blacklisted_tokens (user_id);
CREATE INDEX blacklisted_tokens_successor_jti_index ON blacklisted_tokens (successor_jti)
    WHERE successor_jti IS NOT NULL;
