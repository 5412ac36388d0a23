//! How a database failure is answered: 503 for what a retry may cure (a lost connection, a lost
//! race, a busy SQLite), 500 for the rest.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{AppError, Dependency};

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::Unavailable(Dependency::Database, error.into()),
            // A transaction that lost a race the database broke (Postgres): transient, retry.
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::Unavailable(Dependency::Database, error.into())
            }
            DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::Unavailable(Dependency::Database, error.into())
            }
            // SQLite gave up waiting for the write lock (busy_timeout): overload, not a bug.
            DieselError::DatabaseError(_, info)
                if info.message().contains("database is locked") =>
            {
                Self::Unavailable(Dependency::Database, error.into())
            }
            _ => Self::Internal(error.into()),
        }
    }
}
