-- OpenID Connect (issue 25): where RP-initiated logout may send a browser back, and when the user
-- behind a code signed in (an ID token's auth_time; NULL for codes from before).
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_auth_codes ADD COLUMN auth_time TEXT NULL;
