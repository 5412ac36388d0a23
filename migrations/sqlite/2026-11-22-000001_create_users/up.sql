-- Laravel's users table, with a UUID key (as text) and the cut-off that `logout?scope=all` moves.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- stored trimmed and lowercased, so this unique index is case-insensitive
    email TEXT NOT NULL UNIQUE,
    -- the bcrypt hash (Laravel's column name)
    password TEXT NOT NULL,
    -- tokens issued before this instant are rejected (UTC)
    tokens_valid_after TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
