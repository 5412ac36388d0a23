//! Reads on the actix worker's own SQLite connection (issue 27): a point lookup in WAL mode writes
//! nothing and never waits for a writer, so it can run where the request runs, without the trip
//! to the blocking pool and back that used to cost more than the query. The connection's busy
//! timeout is zero: a read that would have to wait (a checkpoint resetting the WAL, a recovery)
//! fails at once and the caller hands it to the pool, whose connections may wait. PostgreSQL
//! reads always go through the pool: a network round trip must never stall a worker.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::QueryResult;

use super::DbConnection;
use super::manager::{ConnectionManager, StatementCounter};

/// A worker's connection: the busy timeout first, so that nothing here ever waits on a lock (the
/// database is in WAL mode already: the pool set it).
const WORKER_PRAGMAS: &str = "PRAGMA busy_timeout = 0; PRAGMA foreign_keys = ON;";

/// How long a worker keeps its connection before opening it again: a database file replaced
/// under the server (a restore) is read within this long, as the pool's connections are renewed.
const MAX_AGE: Duration = Duration::from_secs(60);

/// The worker connections of this thread, one per pool (by its process-unique id) and path:
/// tests run several servers in one process, each with its own workers and database.
struct WorkerConnection {
    pool: u64,
    path: Arc<str>,
    opened: Instant,
    connection: DbConnection,
}

thread_local! {
    static CONNECTIONS: RefCell<Vec<WorkerConnection>> = const { RefCell::new(Vec::new()) };
}

/// Runs `read` on this thread's connection to the SQLite file `path` (opened at its first use,
/// counted by `statements`); `None` when it cannot run here now (no connection, or the read
/// failed: the connection is dropped and the caller asks the pool instead).
pub fn read<T>(
    pool: u64,
    path: &Arc<str>,
    statements: &Arc<StatementCounter>,
    read: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> Option<T> {
    CONNECTIONS.with(|cell| {
        let mut connections = cell.borrow_mut();
        connections.retain(|c| c.opened.elapsed() < MAX_AGE);
        let at = match connections
            .iter()
            .position(|c| c.pool == pool && c.path == *path)
        {
            Some(at) => at,
            None => {
                let connection =
                    ConnectionManager::open_sqlite(path, WORKER_PRAGMAS, statements).ok()?;
                connections.push(WorkerConnection {
                    pool,
                    path: path.clone(),
                    opened: Instant::now(),
                    connection,
                });
                connections.len() - 1
            }
        };
        match read(&mut connections[at].connection) {
            Ok(value) => Some(value),
            Err(_) => {
                connections.swap_remove(at);
                None
            }
        }
    })
}
