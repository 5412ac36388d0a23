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

fn names(versions: &[diesel::migration::MigrationVersion<'_>]) -> Vec<String> {
    versions.iter().map(ToString::to_string).collect()
}
