-- The switch from a Laravel app (users:import): each imported user keeps its Laravel id, which
-- tymon's tokens carry in `sub`.
ALTER TABLE users ADD COLUMN legacy_id TEXT NULL;
CREATE UNIQUE INDEX users_legacy_id_unique ON users (legacy_id);
-- The tokens the Laravel app had logged out (users:import --blacklist): their jti, as the uuid a
-- Laravel token's jti is read as here, until they could not be used anyway.
CREATE TABLE laravel_blacklist (
    jti UUID PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
