-- first_party and always_issue_refresh_token are yes/no questions: BOOLEAN, not 0/1.
ALTER TABLE oauth_clients
    ALTER COLUMN first_party DROP DEFAULT,
    ALTER COLUMN first_party TYPE BOOLEAN USING first_party <> 0,
    ALTER COLUMN first_party SET DEFAULT FALSE,
    ALTER COLUMN always_issue_refresh_token DROP DEFAULT,
    ALTER COLUMN always_issue_refresh_token TYPE BOOLEAN USING always_issue_refresh_token <> 0,
    ALTER COLUMN always_issue_refresh_token SET DEFAULT FALSE;
