ALTER TABLE oauth_clients
    ALTER COLUMN first_party DROP DEFAULT,
    ALTER COLUMN first_party TYPE INTEGER USING CASE WHEN first_party THEN 1 ELSE 0 END,
    ALTER COLUMN first_party SET DEFAULT 0,
    ALTER COLUMN always_issue_refresh_token DROP DEFAULT,
    ALTER COLUMN always_issue_refresh_token TYPE INTEGER USING CASE WHEN always_issue_refresh_token THEN 1 ELSE 0 END,
    ALTER COLUMN always_issue_refresh_token SET DEFAULT 0;
