ALTER TABLE users DROP COLUMN email_verified_at;
DROP TABLE password_reset_tokens;
