//! The r2d2 connection manager: opens the backend that DATABASE_URL names and reports the driver's
//! real error (the derived `MultiConnection::establish` hides it, and r2d2 then waits its full timeout).

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{self, R2D2Connection};

use super::{DatabaseUrl, DbConnection};

/// Applied to every new SQLite connection. busy_timeout comes first: switching to WAL needs a lock.
pub(super) const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// Opens [`DbConnection`]s for the pool.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    statements: Arc<StatementCounter>,
}

/// How many SQL statements the pool's connections have started, and, while recording is on, the
/// first word of each (tests use it to hold a route to its number of statements).
#[derive(Debug, Default)]
pub struct StatementCounter {
    started: AtomicU64,
    recording: AtomicBool,
    recorded: Mutex<Vec<String>>,
}

impl StatementCounter {
    /// Statements started so far.
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// Starts recording each statement's first word (SELECT, INSERT…), forgetting earlier ones.
    pub fn record(&self) {
        self.recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.recording.store(true, Ordering::SeqCst);
    }

    /// Stops recording and returns what was recorded since [`record`](Self::record).
    pub fn recorded(&self) -> Vec<String> {
        self.recording.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.recorded.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn on_event(&self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            self.started.fetch_add(1, Ordering::Relaxed);
            if self.recording.load(Ordering::Relaxed) {
                let text = query.to_string();
                let word = text.split_whitespace().next().unwrap_or("").to_uppercase();
                self.recorded
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(word);
            }
        }
    }
}

impl ConnectionManager {
    /// A manager for `url`; for SQLite it creates the file's folder first.
    pub fn new(url: DatabaseUrl) -> Result<Self, String> {
        if let DatabaseUrl::Sqlite(path) = &url
            && let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!("cannot create the folder {} for SQLite: {e}", dir.display())
            })?;
        }
        if let DatabaseUrl::Sqlite(path) = &url {
            crate::storage::make_database_private(Path::new(path));
        }
        Ok(Self {
            url,
            statements: Arc::default(),
        })
    }

    /// The counter every connection of this manager reports to.
    pub fn statements(&self) -> Arc<StatementCounter> {
        self.statements.clone()
    }
}

/// A pooled connection and whether it died under us (then r2d2 drops it instead of reusing it).
pub struct ManagedConnection {
    pub connection: DbConnection,
    pub broken: bool,
}

impl Deref for ManagedConnection {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.connection
    }
}

impl DerefMut for ManagedConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.connection
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = ManagedConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<ManagedConnection, ConnectionError> {
        let connection = match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut connection = DbConnection::Postgres(PgConnection::establish(url)?);
                counted(&mut connection, &self.statements);
                connection
            }
            DatabaseUrl::Sqlite(path) => Self::open_sqlite(path, SQLITE_PRAGMAS, &self.statements)?,
        };
        Ok(ManagedConnection {
            connection,
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut ManagedConnection) -> Result<(), ConnectionError> {
        conn.connection
            .ping()
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut ManagedConnection) -> bool {
        conn.broken || conn.connection.is_broken()
    }
}

impl ConnectionManager {
    /// A connection to the SQLite file `path` set up by `pragmas` (the pool's
    /// [`SQLITE_PRAGMAS`], or a worker's own: `db::worker`), its statements from then on counted
    /// by `statements`.
    pub fn open_sqlite(
        path: &str,
        pragmas: &str,
        statements: &Arc<StatementCounter>,
    ) -> Result<DbConnection, ConnectionError> {
        let mut conn = SqliteConnection::establish(path)?;
        conn.batch_execute(pragmas)
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        let mut connection = DbConnection::Sqlite(conn);
        counted(&mut connection, statements);
        Ok(connection)
    }
}

/// Reports every statement of `connection` to `statements`.
fn counted(connection: &mut DbConnection, statements: &Arc<StatementCounter>) {
    let statements = statements.clone();
    connection
        .set_instrumentation(move |event: InstrumentationEvent<'_>| statements.on_event(event));
}

/// Why connecting to `url` failed for good, with what to do, when `error` is such a failure;
/// `None` when waiting may help (a server starting, a network down). Never the URL's password:
/// libpq quotes the bad part of a malformed URL, so that message is not passed on.
pub fn permanent_failure(url: &DatabaseUrl, error: &ConnectionError) -> Option<String> {
    let DatabaseUrl::Postgres(_) = url else {
        return None;
    };
    let ConnectionError::BadConnection(message) = error else {
        return None;
    };
    let name = url.database_name().unwrap_or_else(|| "NAME".into());
    let says = |text: &str| message.contains(text);
    if says("invalid percent-encoded token")
        || says("invalid URI")
        || says("invalid connection option")
        || says("invalid integer value")
        || says("missing \"=\"")
    {
        Some("the database URL is malformed: a character of the user or password that must be escaped (%40 for @, %2F for /, %25 for %), or a bad %-escape".into())
    } else if says("database") && says("does not exist") {
        Some(format!(
            "the database does not exist: create it (createdb {name}) or fix the name"
        ))
    } else if says("role") && says("does not exist") {
        Some("the user (role) does not exist: create it (createuser NAME) or fix the user in the URL (DB_USERNAME)".into())
    } else if says("password authentication failed")
        || says("no password supplied")
        || says("authentication failed")
    {
        Some("the password was refused: fix the password in the URL (DB_PASSWORD)".into())
    } else {
        None
    }
}

/// Sends r2d2's connection errors to our log (r2d2 itself writes them to the `log` crate).
#[derive(Debug)]
pub struct LogConnectionErrors;

impl r2d2::HandleError<ConnectionError> for LogConnectionErrors {
    fn handle_error(&self, error: ConnectionError) {
        tracing::warn!(error = %error, "database connection failed");
    }
}
