//! Embedded migrations, one set per backend (Laravel: `php artisan migrate`).

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An arbitrary advisory-lock key: instances starting together against one Postgres migrate in turn.
const MIGRATION_LOCK: i64 = 0x6a77_745f_6175_7468;

/// Runs what is pending on `conn`'s backend and returns the names of the migrations it ran.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let ran = match conn {
        DbConnection::Postgres(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| format!("cannot take the migration lock: {e}"))?;
            let ran = pg.run_pending_migrations(POSTGRES).map(|v| names(&v));
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                .map_err(|e| format!("cannot release the migration lock: {e}"))?;
            ran
        }
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE).map(|v| names(&v)),
    };
    ran.map_err(|e| format!("migration failed: {e}"))
}

/// Runs the pending migrations up to and including the first whose version contains `last`; the
/// names of those it ran. Tests use it to write rows as an older version left them, then migrate
/// the rest as a start would.
pub fn run_pending_until(conn: &mut DbConnection, last: &str) -> Result<Vec<String>, String> {
    fn run<DB: diesel::backend::Backend, C: MigrationHarness<DB>>(
        conn: &mut C,
        source: EmbeddedMigrations,
        last: &str,
    ) -> diesel::migration::Result<Vec<String>> {
        let mut ran = Vec::new();
        for migration in conn.pending_migrations(source)? {
            let version = conn.run_migration(&migration)?.to_string();
            let done = version.contains(last);
            ran.push(version);
            if done {
                break;
            }
        }
        Ok(ran)
    }
    let ran = match conn {
        DbConnection::Postgres(pg) => run(pg, POSTGRES, last),
        DbConnection::Sqlite(sqlite) => run(sqlite, SQLITE, last),
    };
    ran.map_err(|e| format!("migration failed: {e}"))
}

/// How many migrations of `conn`'s backend are not applied yet (readiness).
pub fn pending(conn: &mut DbConnection) -> Result<usize, String> {
    let pending = match conn {
        DbConnection::Postgres(pg) => pg.pending_migrations(POSTGRES).map(|v| v.len()),
        DbConnection::Sqlite(sqlite) => sqlite.pending_migrations(SQLITE).map(|v| v.len()),
    };
    pending.map_err(|e| format!("cannot read the applied migrations: {e}"))
}

fn names(versions: &[diesel::migration::MigrationVersion<'_>]) -> Vec<String> {
    versions.iter().map(ToString::to_string).collect()
}
