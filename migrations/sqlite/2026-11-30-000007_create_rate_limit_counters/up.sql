-- Rate limits shared by every instance (RATE_LIMIT_STORE=database): hits per key per fixed window.
-- A key is a keyed hash of what is counted (never an email or an address).
CREATE TABLE rate_limit_counters (
    key TEXT NOT NULL,
    -- milliseconds since the epoch divided by the limit's window
    window_index INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    -- milliseconds since the epoch after which the row counts for nothing
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, window_index)
);
CREATE INDEX rate_limit_counters_expires_at_index ON rate_limit_counters (expires_at);
