-- Laravel's users table, with a UUID key and the cut-off that `logout?scope=all` moves.
CREATE TABLE users (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    -- stored trimmed and lowercased, so this unique index is case-insensitive
    email VARCHAR(255) NOT NULL UNIQUE,
    -- the bcrypt hash (Laravel's column name)
    password VARCHAR(255) NOT NULL,
    -- tokens issued before this instant are rejected (UTC)
    tokens_valid_after TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
