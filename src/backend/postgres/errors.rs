//! PostgreSQL errors as the crate's, by SQLSTATE, never with a password or a record.

use postgres::error::SqlState;

use crate::error::Error;

/// Whether running the whole transaction again may succeed: SERIALIZABLE lost a
/// conflict (40001) or the server broke a deadlock (40P01).
pub(super) fn is_retryable(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    })
}

/// `Error::Storage` saying what was being done and what the server answered.
pub(super) fn storage(doing: &str, e: &postgres::Error) -> Error {
    Error::Storage(describe(doing, e))
}

/// The message of [`storage`]. A server error shows its SQLSTATE and primary message
/// only: the detail line can quote key values, and the statement text is ours.
/// Connection errors show the client's description, which names no password.
pub(super) fn describe(doing: &str, e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!(
            "PostgreSQL: {doing}: {} (SQLSTATE {})",
            db.message(),
            db.code().code()
        ),
        None if e.is_closed() => format!(
            "PostgreSQL: {doing}: the connection to the server was lost; \
             the next call reconnects"
        ),
        None => format!("PostgreSQL: {doing}: {e}"),
    }
}

/// A stored column that does not have the shape this build wrote.
pub(super) fn malformed(what: &str) -> Error {
    Error::corrupted(format!("PostgreSQL: {what}"))
}
