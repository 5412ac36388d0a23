DROP TABLE laravel_blacklist;
DROP INDEX users_legacy_id_unique;
ALTER TABLE users DROP COLUMN legacy_id;
