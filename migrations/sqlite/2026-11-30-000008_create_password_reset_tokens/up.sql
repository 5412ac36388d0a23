-- Laravel's password_reset_tokens table: one live token per email, stored as its SHA-256 (hex).
CREATE TABLE password_reset_tokens (
    email TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- Laravel's MustVerifyEmail column: when the address was proven (UTC), NULL until then.
ALTER TABLE users ADD COLUMN email_verified_at TEXT NULL;
