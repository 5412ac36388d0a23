DROP TABLE two_factor_challenges;
DROP TABLE two_factor_recovery_codes;
ALTER TABLE sessions DROP COLUMN amr;
ALTER TABLE users DROP COLUMN two_factor_last_step;
ALTER TABLE users DROP COLUMN two_factor_confirmed_at;
ALTER TABLE users DROP COLUMN two_factor_secret;
