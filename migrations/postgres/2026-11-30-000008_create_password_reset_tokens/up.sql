-- Laravel's password_reset_tokens table: one live token per email, stored as its SHA-256 (hex).
CREATE TABLE password_reset_tokens (
    email VARCHAR(255) PRIMARY KEY,
    token VARCHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- Laravel's MustVerifyEmail column: when the address was proven (UTC), NULL until then.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP NULL;
