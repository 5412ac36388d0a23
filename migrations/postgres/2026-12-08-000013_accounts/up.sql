-- Accounts over their whole life (issue 26): roles and custom claims read into every token at
-- issuance, disabling an account, and an email change waiting for its link.
-- Space-separated role names ([a-z0-9_.:-]{1,64}, at most 32).
ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT '';
-- A JSON object of at most 2 KiB, merged into access tokens at the top level.
ALTER TABLE users ADD COLUMN claims TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP NULL;
-- The address a change waits to move to: its mailed link names it, a newer change replaces it.
ALTER TABLE users ADD COLUMN pending_email TEXT NULL;
