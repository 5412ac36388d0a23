ALTER TABLE users DROP COLUMN pending_email;
ALTER TABLE users DROP COLUMN disabled_at;
ALTER TABLE users DROP COLUMN claims;
ALTER TABLE users DROP COLUMN roles;
