//! Migrations that move rows: what an older version stored is still there, in the new shape.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use jwt_auth_server::db::{DatabaseUrl, DbPool};
use jwt_auth_server::models::{OAuthRefreshToken, Session};
use jwt_auth_server::schema::{oauth_refresh_tokens, sessions};

use crate::helpers::TestDb;

api_tests! {
    // Issue 11: the OAuth sessions become rows of `sessions`, their refresh tokens still theirs.
    fn oauth_sessions_become_sessions_and_keep_their_refresh_tokens(backend) {
        let db = TestDb::create(backend);
        let pool = DbPool::connect(&DatabaseUrl::parse(&db.url).unwrap(), 1, Duration::from_secs(5)).unwrap();
        let ran = pool.run_migrations_until("000004").unwrap();
        assert!(ran.last().unwrap().contains("000004"), "{ran:?}");
        pool.get().unwrap().batch_execute(
            "INSERT INTO users (id, name, email, password, created_at, updated_at) VALUES
                 ('01900000-0000-7000-8000-000000000001', 'N', 'n@example.com', 'x', '2026-11-01 10:00:00', '2026-11-01 10:00:00');
             INSERT INTO oauth_clients (id, name, secret_hash, grant_types, scopes, first_party, always_issue_refresh_token, created_at) VALUES
                 ('01900000-0000-7000-8000-0000000000c1', 'app', NULL, 'password refresh_token', 'offline_access', TRUE, FALSE, '2026-11-01 10:00:00');
             INSERT INTO oauth_sessions (id, user_id, client_id, scopes, created_at, expires_at, revoked_at) VALUES
                 ('01900000-0000-7000-8000-0000000000a1', '01900000-0000-7000-8000-000000000001', '01900000-0000-7000-8000-0000000000c1',
                  'offline_access', '2026-11-01 10:00:00', '2026-12-01 10:00:00', NULL);
             INSERT INTO oauth_refresh_tokens (token_hash, session_id, parent_hash, client_id, scopes, created_at, used_at, revoked_at) VALUES
                 ('abc', '01900000-0000-7000-8000-0000000000a1', NULL, '01900000-0000-7000-8000-0000000000c1', 'offline_access',
                  '2026-11-01 10:00:00', NULL, NULL);",
        ).unwrap();
        let rest = pool.run_migrations().unwrap();
        assert!(rest.iter().any(|m| m.contains("000005")), "{rest:?}");
        let mut conn = pool.get().unwrap();
        let migrated: Vec<Session> = sessions::table.load(&mut conn.connection).unwrap();
        assert_eq!(migrated.len(), 1);
        let session = &migrated[0];
        assert_eq!(session.id.to_string(), "01900000-0000-7000-8000-0000000000a1");
        assert_eq!(session.client_id.map(|c| c.to_string()).as_deref(), Some("01900000-0000-7000-8000-0000000000c1"));
        assert_eq!((session.scopes.as_str(), session.last_seen_at), ("offline_access", session.created_at));
        assert_eq!((session.user_agent.as_deref(), session.revoked_at), (None, None));
        let tokens: Vec<OAuthRefreshToken> = oauth_refresh_tokens::table.load(&mut conn.connection).unwrap();
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].session_id, session.id);
        // The refresh tokens follow their session when it goes (the foreign key moved with it).
        diesel::delete(sessions::table).execute(&mut conn.connection).unwrap();
        let left: i64 = oauth_refresh_tokens::table.count().get_result(&mut conn.connection).unwrap();
        assert_eq!(left, 0);
    }
}
