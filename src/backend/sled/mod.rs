//! The sled backend: one process owns the store directory; a writer lock orders its
//! transactions, and group commit shares each flush + fsync among waiting writers.
//!
//! Its trees and keys are in [`layout`](crate::backend::layout).

pub(crate) mod durability;
pub(crate) mod engine;
pub(crate) mod lock;
pub(crate) mod page;
mod reads;
mod scan;
pub(crate) mod target_dir;

use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::{Backend, Reads, Writes};
use crate::backend::sled::durability::{Durability, GroupCommit};
use crate::error::{Error, Result};
pub(crate) use engine::{Engine, TreeId, WriteSet};
use reads::{SledReads, SledTx};

/// A list-index entry: enough to filter by time and name without reading the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexEntry {
    pub(crate) created_at: i64,
    /// `display_name` (credentials: `mcp_server_url`), lower-cased.
    #[serde(deserialize_with = "crate::crypto::owned_text::string")]
    pub(crate) name: String,
}

pub(crate) struct SledBackend {
    pub(crate) engine: Arc<Engine>,
    /// Transactions take it to read-check-write without interleaving. The slow part,
    /// the fsync, happens after it is released.
    writer: Mutex<()>,
    group: GroupCommit,
    durability: Durability,
}

impl SledBackend {
    pub(crate) fn new(engine: Arc<Engine>, durability: Durability) -> SledBackend {
        SledBackend {
            engine,
            writer: Mutex::new(()),
            group: GroupCommit::default(),
            durability,
        }
    }

    /// Held by whoever writes outside [`Backend::transact`] (rotation's batches).
    pub(crate) fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Under the writer lock, lets `prepare` read sled's trees and return raw changes,
    /// then applies them in one transaction: for the work below the seam's records
    /// (migration from format 1, key rotation's re-signing in place).
    pub(crate) fn apply_checked<T>(
        &self,
        prepare: impl FnOnce(&Engine) -> Result<(WriteSet, T)>,
    ) -> Result<T> {
        let _writer = self.writer();
        let (set, out) = prepare(&self.engine)?;
        self.engine.apply(&set)?;
        Ok(out)
    }
}

impl Backend for SledBackend {
    fn reads(&self) -> Result<Box<dyn Reads + '_>> {
        Ok(Box::new(SledReads {
            engine: &self.engine,
        }))
    }

    fn transact(&self, body: &mut dyn FnMut(&mut dyn Writes) -> Result<()>) -> Result<()> {
        let _writer = self.writer();
        let mut tx = SledTx::new(&self.engine);
        body(&mut tx)?;
        let set = tx.finish()?;
        self.engine.apply(&set)
    }

    fn make_durable(&self) -> Result<()> {
        match self.durability {
            Durability::Immediate => self.group.wait_durable(&self.engine),
            Durability::Periodic => Ok(()),
        }
    }

    fn sync(&self) -> Result<()> {
        self.engine.sync()
    }

    /// Through group commit: concurrent refreshes share one fsync.
    fn make_durable_now(&self) -> Result<()> {
        self.group.wait_durable(&self.engine)
    }

    fn log_fsyncs(&self) -> u64 {
        self.engine.log_fsyncs()
    }
}

/// What a store-wide operation that only sled has (backup, compact, verify's index
/// checks) says elsewhere.
pub(crate) fn only_on_sled(operation: &str) -> Error {
    Error::Storage(format!(
        "{operation} works on a sled store only; on PostgreSQL use the database's own tools"
    ))
}
