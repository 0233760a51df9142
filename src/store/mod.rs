//! The store: its handle and operations, written once over the backend seam —
//! vaults and credentials, lists, sessions and OAuth refresh, key rotation, verify,
//! and (sled) backup, compaction and the format-1 migration.

pub(crate) mod backup;
pub(crate) mod compact;
pub(crate) mod config;
mod credentials;
mod list;
pub(crate) mod migrate;
pub(crate) mod open;
#[cfg(feature = "postgres")]
pub(crate) mod open_postgres;
pub(crate) mod records;
mod records_io;
pub(crate) mod refresh;
pub(crate) mod rotate;
pub(crate) mod session;
mod update;
mod vaults;
pub(crate) mod verify;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use crate::api::id::{IdClock, RawId};
use crate::backend::layout::Account;
use crate::backend::sled::durability::{Durability, Flusher};
use crate::backend::sled::lock::DirLock;
use crate::backend::sled::SledBackend;
use crate::backend::{Backend, MetaKey, Writes};
use crate::crypto::key::{KdfCost, MasterKey};
use crate::crypto::seal::Keyring;
use crate::error::{Error, Result};
use crate::store::config::Builder;
use crate::store::records::KeyState;
use crate::store::refresh::{RefreshGuard, RefreshLocks, TokenRefresher};

/// The account the handle from [`VaultStore::open`] works in.
pub const DEFAULT_ACCOUNT: &str = "default";

/// An open store: a cheap, cloneable handle (`Send + Sync`) to one shared engine.
///
/// Each handle works in one account ([`VaultStore::account`]). The store closes when
/// the last handle (including those held by [`Session`](crate::Session)s) is dropped:
/// sled flushes, the lock is released and the directory can be opened again.
#[derive(Clone)]
pub struct VaultStore {
    pub(crate) inner: Arc<Inner>,
    pub(crate) account: Arc<Account>,
}

/// Where the records live.
pub(crate) enum Storage {
    Sled(Arc<SledBackend>),
    #[cfg(feature = "postgres")]
    Postgres(Arc<crate::backend::postgres::PgBackend>),
}

// Field order is drop order: the flusher stops before the engine closes, and the lock
// is released last.
pub(crate) struct Inner {
    pub(crate) _flusher: Option<Flusher>,
    pub(crate) storage: Storage,
    /// Sealing holds a read guard until its write is applied, so a rotation's switch of
    /// keys never strands a token sealed under the old key (lock order: `keys`, then
    /// the backend's transaction).
    pub(crate) keys: RwLock<Keyring>,
    pub(crate) clock: IdClock,
    /// The id of `keys.current`, readable without the lock (see
    /// [`VaultStore::transact`]).
    pub(crate) key_id: AtomicU32,
    /// On a shared store, transactions hold it to read, and a rotation's start holds it
    /// to write from its key record to its switch of keys: this process's own writes
    /// never see the new record with the old key id. Lock order: `keys`, then this.
    pub(crate) key_switch: RwLock<()>,
    pub(crate) rotation: Mutex<()>,
    pub(crate) durability: Durability,
    pub(crate) max_active_credentials: u32,
    pub(crate) kdf_cost: KdfCost,
    pub(crate) refresh_margin: std::time::Duration,
    pub(crate) refresher: Option<Arc<dyn TokenRefresher>>,
    /// Held while a credential is refreshed, updated, archived or deleted.
    pub(crate) refresh_locks: RefreshLocks,
    pub(crate) store_id: [u8; 16],
    pub(crate) dir: PathBuf,
    /// The store directory's lock (sled).
    pub(crate) _lock: Option<DirLock>,
}

/// Counters for observing the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStats {
    /// fsyncs of the storage log since open. Under [`Durability::Immediate`] every
    /// change is covered by one; concurrent writers share them (group commit), so this
    /// grows slower than the number of writes.
    pub log_fsyncs: u64,
}

impl VaultStore {
    /// Opens (or creates) the store in `dir` with `key`, with every other option at
    /// its default. See [`Builder::open`] for the errors.
    ///
    /// # Errors
    /// As [`Builder::open`].
    pub fn open(dir: impl AsRef<Path>, key: MasterKey) -> Result<VaultStore> {
        Builder::new(dir.as_ref()).key(key).open()
    }

    /// Options for opening the store in `dir`.
    pub fn builder(dir: impl AsRef<Path>) -> Builder {
        Builder::new(dir.as_ref())
    }

    pub(crate) fn from_inner(inner: Inner, account: Account) -> VaultStore {
        VaultStore {
            inner: Arc::new(inner),
            account: Arc::new(account),
        }
    }

    /// A handle on the same store working in account `name`: its vaults, credentials
    /// and sessions are invisible to every other account, and theirs to it.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) unless `name` is 1–64 characters of A–Z, a–z, 0–9,
    /// `-`, `_` or `.`.
    pub fn account(&self, name: &str) -> Result<VaultStore> {
        crate::api::validate::account_name(name)?;
        Ok(VaultStore {
            inner: Arc::clone(&self.inner),
            account: Arc::new(Account::new(name)),
        })
    }

    /// A handle on account `name` as found on disk (rotation, verify, migration).
    pub(crate) fn for_account(&self, name: &str) -> VaultStore {
        VaultStore {
            inner: Arc::clone(&self.inner),
            account: Arc::new(Account::new(name)),
        }
    }

    /// The account this handle works in.
    pub fn account_name(&self) -> &str {
        &self.account.name
    }

    /// The store directory (empty for a store in PostgreSQL).
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    /// Flushes and fsyncs everything written so far: useful under
    /// [`Durability::Periodic`] before a planned shutdown.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) if the disk refuses.
    pub fn flush(&self) -> Result<()> {
        self.backend().sync()
    }

    /// Counters since open.
    pub fn stats(&self) -> StoreStats {
        StoreStats {
            log_fsyncs: self.backend().log_fsyncs(),
        }
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        match &self.inner.storage {
            Storage::Sled(sled) => sled.as_ref(),
            #[cfg(feature = "postgres")]
            Storage::Postgres(postgres) => postgres.as_ref(),
        }
    }

    /// The sled backend, for what only it has (backup, compact, rotation, verify,
    /// migration); elsewhere an error naming `operation`.
    pub(crate) fn sled(&self, operation: &str) -> Result<&SledBackend> {
        match &self.inner.storage {
            Storage::Sled(sled) => Ok(sled),
            #[allow(unreachable_patterns)]
            _ => Err(crate::backend::sled::only_on_sled(operation)),
        }
    }

    pub(crate) fn keys(&self) -> RwLockReadGuard<'_, Keyring> {
        self.inner.keys.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `body` in one transaction of the backend: it reads what it must check and
    /// writes the changes, which apply together. The backend may run it again after a
    /// conflict. Durability comes after, in [`VaultStore::commit`].
    pub(crate) fn transact<T>(&self, body: impl FnMut(&mut dyn Writes) -> Result<T>) -> Result<T> {
        if !self.backend().is_shared() {
            return self.transact_switch_held(body);
        }
        // A rotation starting in this process switches keys under the write guard.
        let _switch = self
            .inner
            .key_switch
            .read()
            .unwrap_or_else(|p| p.into_inner());
        self.transact_switch_held(body)
    }

    /// [`VaultStore::transact`] for a caller that holds `key_switch` (either guard).
    pub(crate) fn transact_switch_held<T>(
        &self,
        mut body: impl FnMut(&mut dyn Writes) -> Result<T>,
    ) -> Result<T> {
        let mut out = None;
        let shared = self.backend().is_shared();
        self.backend().transact(&mut |tx| {
            if shared {
                self.check_key_is_current(tx)?;
            }
            out = Some(body(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::Storage("a transaction committed without running".into()))
    }

    /// On a store other processes share, refuses to write under a key the store no
    /// longer uses: the transaction reads the key record, so a rotation committed
    /// meanwhile makes it conflict and run again, and then fail here. Records written
    /// under the old key after a rotation passed them would be unreadable after it.
    fn check_key_is_current(&self, tx: &mut dyn Writes) -> Result<()> {
        let bytes = tx
            .meta(MetaKey::Keys)?
            .ok_or_else(|| Error::corrupted("the key record is missing"))?;
        let state: KeyState = crate::crypto::codec::decode(&bytes, || "the key record".to_owned())?;
        let ours = self.inner.key_id.load(Ordering::Acquire);
        let store_uses = state
            .rotation
            .as_ref()
            .map_or(state.current.id, |r| r.next.id);
        if ours == store_uses {
            return Ok(());
        }
        Err(Error::KeyRotated { key_id: store_uses })
    }

    /// Returns once committed changes are as durable as the store's mode promises.
    pub(crate) fn commit(&self) -> Result<()> {
        self.backend().make_durable()
    }

    /// Holds the refresh lock of the credential the ids name, if they parse: an update,
    /// archive or delete never interleaves with a refresh of the same credential.
    pub(crate) fn refresh_lock(
        &self,
        vault_id: &str,
        credential_id: &str,
    ) -> Option<RefreshGuard<'_>> {
        let vault = RawId::parse(vault_id, crate::api::id::Kind::Vault)?;
        let id = RawId::parse(credential_id, crate::api::id::Kind::Credential)?;
        Some(
            self.inner
                .refresh_locks
                .lock(self.account.credential(vault, id)),
        )
    }

    /// Microseconds now, never before `floor` (the wall clock may step back).
    pub(crate) fn now_micros(&self, floor: i64) -> i64 {
        chrono::Utc::now().timestamp_micros().max(floor)
    }

    /// A new id and its creation time.
    pub(crate) fn next_id(&self) -> (RawId, i64) {
        let (id, at) = self.inner.clock.next();
        (id, at.timestamp_micros())
    }
}

impl fmt::Debug for VaultStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultStore")
            .field("path", &self.inner.dir)
            .field("account", &self.account.name)
            .field("durability", &self.inner.durability)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn handles_are_send_sync_clone() {
        assert_send_sync_clone::<VaultStore>();
    }
}
