//! Holding a credential against other processes: a session-level advisory lock.

use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::Type;

use super::errors::storage;
use super::pool::{Conn, Pool};
use crate::backend::CrossProcessGuard;
use crate::error::{Error, Result};

/// Holds `pg_advisory_lock(key)` on its own connection until dropped.
pub(super) struct AdvisoryLock {
    conn: Conn,
    key: i64,
}

impl CrossProcessGuard for AdvisoryLock {}

/// How long a refresh waits for another process's: twice the default HTTP refresh
/// timeout (30 s), so only a holder that is stuck (stopped, or hung in its own code)
/// makes a waiter give up.
pub(super) const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Waits for the lock, at most `wait`. The connection comes from the lock pool, not the
/// one that runs transactions: the holder writes its refresh through a transaction
/// while it holds the lock, and from one shared pool every connection could be held by
/// lock holders each waiting for one more.
pub(super) fn acquire(locks: &Pool, key: i64, wait: Duration) -> Result<AdvisoryLock> {
    let mut conn = locks.get()?;
    // Session-wide, but this pool's connections run nothing else.
    conn.batch(&format!("SET lock_timeout = {}", wait.as_millis().max(1)))
        .map_err(|e| storage("setting the lock wait", &e))?;
    match conn.execute("SELECT pg_advisory_lock($1)", &[(&key, Type::INT8)]) {
        Ok(_) => Ok(AdvisoryLock { conn, key }),
        Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => Err(Error::Storage(format!(
            "PostgreSQL: another process has held this credential's refresh lock for over \
             {} ms (SQLSTATE 55P03), so it may be stuck; nothing was refreshed, try again",
            wait.as_millis()
        ))),
        Err(e) => Err(storage("waiting for a credential's cross-process lock", &e)),
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let key = self.key;
        let unlocked = self
            .conn
            .execute("SELECT pg_advisory_unlock($1)", &[(&key, Type::INT8)]);
        if unlocked.is_err() {
            // The server releases a session's locks when the session ends: close it.
            self.conn.mark_broken();
        }
    }
}
