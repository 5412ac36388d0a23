ALTER TABLE oauth_auth_codes DROP COLUMN auth_time;
ALTER TABLE oauth_clients DROP COLUMN post_logout_redirect_uris;
