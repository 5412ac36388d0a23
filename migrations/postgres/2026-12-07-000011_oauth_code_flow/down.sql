DROP TABLE oauth_authorization_sessions;
DROP TABLE oauth_consents;
DROP TABLE oauth_auth_codes;
ALTER TABLE sessions DROP COLUMN resource;
ALTER TABLE oauth_clients DROP COLUMN skip_consent;
ALTER TABLE oauth_clients DROP COLUMN resources;
ALTER TABLE oauth_clients DROP COLUMN redirect_uris;
