//! Database access for both backends (Laravel: config/database.php + the DB facade): one connection
//! type chosen by DATABASE_URL's scheme, an r2d2 pool, embedded migrations, [`DbPool::run`], which
//! moves a diesel call onto the blocking thread pool, and [`DbPool::read`], which runs the guard's
//! point read on the worker's own SQLite connection (`worker`).

mod manager;
mod migrations;
pub mod sql_types;
mod url;
mod worker;

use std::time::Duration;

use actix_web::web;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub use manager::{ConnectionManager, ManagedConnection, StatementCounter};
pub use sql_types::Id;
pub use url::DatabaseUrl;

use crate::error::{AppError, AppResult, Dependency};

/// A connection to whichever database DATABASE_URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    /// Runs `f` in a transaction that takes the write lock at once on SQLite (`BEGIN IMMEDIATE`),
    /// so two writers never deadlock upgrading read locks; a plain transaction on Postgres.
    pub fn write_transaction<T, F>(&mut self, f: F) -> QueryResult<T>
    where
        F: FnOnce(&mut Self) -> QueryResult<T>,
    {
        if let Self::Sqlite(sqlite) = self {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        } else {
            return self.transaction(f);
        }
        let result = f(self);
        let Self::Sqlite(sqlite) = self else {
            return result;
        };
        match result {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(sqlite)?;
                Ok(value)
            }
            Err(error) => {
                AnsiTransactionManager::rollback_transaction(sqlite)?;
                Err(error)
            }
        }
    }

    /// `SELECT 1`: the health check's proof that the database answers.
    pub fn ping(&mut self) -> QueryResult<()> {
        diesel::sql_query("SELECT 1").execute(self).map(drop)
    }
}

/// The current UTC time at the precision both databases keep (microseconds), so a value written
/// and read back compares equal to the one the server used.
pub fn now() -> chrono::NaiveDateTime {
    let micros = chrono::Utc::now().timestamp_micros();
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .naive_utc()
}

/// The connection pool, cheap to clone; the only way controllers reach the database.
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<ConnectionManager>,
    statements: std::sync::Arc<StatementCounter>,
    /// Where the wait for a connection is observed (the metrics' `db_pool_wait_seconds`), if anywhere.
    waits: Option<prometheus::Histogram>,
    /// The SQLite file, whose reads may run on the worker's own connection (`db::worker`).
    sqlite_path: Option<std::sync::Arc<str>>,
    /// This pool's process-unique id (its workers' connections are kept by it).
    id: u64,
    /// SQLite: the pool's calls take turns. SQLite has one writer at a time, and writers that
    /// meet a lock wait in its busy handler, which sleeps 1, 2, 5, 10… ms between tries: with ten
    /// connections writing, refresh p99 was 120 ms. Taking turns in the process costs a futex.
    in_turn: Option<std::sync::Arc<std::sync::Mutex<()>>>,
}

impl DbPool {
    /// Opens the pool: a failure waiting cannot mend (see [`manager::permanent_failure`]) stops it
    /// at once with what to do; otherwise it waits (at most `timeout`) for its first connections, so
    /// a database that is down fails the start with the driver's own message.
    pub fn connect(url: &DatabaseUrl, size: u32, timeout: Duration) -> Result<Self, String> {
        let manager = ConnectionManager::new(url.clone())?;
        // One try first: an error that waiting cannot mend (no such database, role or password,
        // a malformed URL) stops the start at once, with what to do, instead of retrying until
        // DB_TIMEOUT.
        if let Err(error) = diesel::r2d2::ManageConnection::connect(&manager)
            && let Some(why) = manager::permanent_failure(url, &error)
        {
            return Err(format!("cannot connect to {}: {why}", url.describe()));
        }
        let statements = manager.statements();
        let pool = Pool::builder()
            .max_size(size)
            // A checkout must not cost a round trip: broken connections are found by their errors.
            .test_on_check_out(false)
            .connection_timeout(timeout)
            .error_handler(Box::new(manager::LogConnectionErrors))
            .build(manager)
            .map_err(|e| format!("cannot connect to {}: {e}", url.describe()))?;
        let sqlite_path = match url {
            DatabaseUrl::Sqlite(path) => Some(path.as_str().into()),
            DatabaseUrl::Postgres(_) => None,
        };
        let in_turn = sqlite_path.as_ref().map(|_| std::sync::Arc::default());
        static POOLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Ok(Self {
            id: POOLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            pool,
            statements,
            waits: None,
            sqlite_path,
            in_turn,
        })
    }

    /// Observes each request's wait for a connection into `histogram` (this pool and its clones
    /// made from now on).
    pub fn observe_waits(mut self, histogram: prometheus::Histogram) -> Self {
        self.waits = Some(histogram);
        self
    }

    /// The statements the pool's connections have run (tests count them per request).
    pub fn statements(&self) -> &StatementCounter {
        &self.statements
    }

    /// (open connections, idle ones, the most there may be) at this moment.
    pub fn usage(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }

    /// A connection for synchronous callers (CLI commands, tests); waits at most DB_TIMEOUT.
    pub fn get(&self) -> AppResult<PooledConnection<ConnectionManager>> {
        self.pool
            .get()
            .map_err(|e| AppError::Unavailable(Dependency::Database, e.into()))
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, never on an async worker.
    /// A pool timeout becomes 503; a connection that died mid-query is dropped from the pool. On
    /// SQLite the calls of one pool take turns (the `in_turn` field says why); `f` must be short.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_with(f, self.in_turn.clone()).await
    }

    /// [`run`](Self::run) for long work that pauses between its statements (the hourly prune):
    /// it takes no turn, so the requests' short calls never wait for all of it.
    pub async fn run_long<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_with(f, None).await
    }

    async fn run_with<T, F>(
        &self,
        f: F,
        in_turn: Option<std::sync::Arc<std::sync::Mutex<()>>>,
    ) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let waits = self.waits.clone();
        web::block(move || {
            let timer = waits.as_ref().map(prometheus::Histogram::start_timer);
            let mut conn = pool
                .get()
                .map_err(|e| AppError::Unavailable(Dependency::Database, e.into()))?;
            drop(timer);
            // After the checkout, so a full pool still answers 503 within DB_TIMEOUT.
            let turn = in_turn.as_ref().map(|turn| {
                turn.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            });
            let result = f(&mut conn.connection);
            drop(turn);
            match result {
                Err(error) if is_connection_lost(&error, &mut conn.connection) => {
                    conn.broken = true;
                    Err(AppError::Unavailable(Dependency::Database, error.into()))
                }
                result => result.map_err(AppError::from),
            }
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    }

    /// Runs the read `f` where it costs least: on SQLite on the calling worker's own connection,
    /// without leaving the thread (`db::worker` says why that never waits); on PostgreSQL, or
    /// when the worker's connection cannot serve it now, as [`run`](Self::run) does. `f` may
    /// therefore run twice: it must only read.
    pub async fn read<T, F>(&self, f: F) -> AppResult<T>
    where
        F: Fn(&mut DbConnection) -> QueryResult<T> + Clone + Send + 'static,
        T: Send + 'static,
    {
        if let Some(path) = &self.sqlite_path
            && let Some(value) = worker::read(self.id, path, &self.statements, f.clone())
        {
            return Ok(value);
        }
        self.run(f).await
    }

    /// Runs the pending migrations of the pool's backend; returns the names of those it ran.
    pub fn run_migrations(&self) -> Result<Vec<String>, String> {
        let mut conn = self
            .get()
            .map_err(|e| format!("cannot run migrations: {e:#}"))?;
        migrations::run_pending(&mut conn.connection)
    }

    /// How many migrations are not applied yet, on the blocking pool.
    pub async fn pending_migrations(&self) -> AppResult<usize> {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool
                .get()
                .map_err(|e| AppError::Unavailable(Dependency::Database, e.into()))?;
            migrations::pending(&mut conn.connection)
                .map_err(|e| AppError::Unavailable(Dependency::Database, e.into()))
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    }

    /// Runs the pending migrations up to the first whose version contains `last` (tests).
    pub fn run_migrations_until(&self, last: &str) -> Result<Vec<String>, String> {
        let mut conn = self
            .get()
            .map_err(|e| format!("cannot run migrations: {e:#}"))?;
        migrations::run_pending_until(&mut conn.connection, last)
    }
}

/// Whether `error` means the connection is gone, so it must leave the pool and the client gets 503.
/// Postgres reports a terminated backend (restart, failover, admin kill) as an unclassified error,
/// so on those the connection is pinged: only on the error path, never on a successful request.
fn is_connection_lost(error: &DieselError, conn: &mut DbConnection) -> bool {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, _) => conn.ping().is_err(),
        _ => false,
    }
}

/// True when `error` is a violated unique constraint or primary key: for us an answer, not a failure.
pub fn is_unique_violation(error: &DieselError) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}
