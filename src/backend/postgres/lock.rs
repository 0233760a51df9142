//! Holding a credential against other processes: a session-level advisory lock.

use postgres::types::Type;

use super::errors::storage;
use super::pool::{Conn, Pool};
use crate::backend::CrossProcessGuard;
use crate::error::Result;

/// Holds `pg_advisory_lock(key)` on its own connection until dropped.
pub(super) struct AdvisoryLock {
    conn: Conn,
    key: i64,
}

impl CrossProcessGuard for AdvisoryLock {}

/// Waits for the lock. The connection comes from the lock pool, not the one that runs
/// transactions: the holder writes its refresh through a transaction while it holds
/// the lock, and from one shared pool every connection could be held by lock holders
/// each waiting for one more.
pub(super) fn acquire(locks: &Pool, key: i64) -> Result<AdvisoryLock> {
    let mut conn = locks.get()?;
    conn.execute("SELECT pg_advisory_lock($1)", &[(&key, Type::INT8)])
        .map_err(|e| storage("waiting for a credential's cross-process lock", &e))?;
    Ok(AdvisoryLock { conn, key })
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
