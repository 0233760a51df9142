//! sled, its trees, atomic multi-tree writes, and the flush + fsync that makes them
//! durable.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sled::transaction::{ConflictableTransactionResult, TransactionError, Transactional};
use sled::Tree;

use crate::error::{Error, Result};

/// The trees a write set can touch, in the order `WriteSet` holds and applies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TreeId {
    Vaults,
    Credentials,
    Tokens,
    ListAll,
    ListActive,
    Meta,
}

/// Changes that commit together or not at all: the last one to each key of each tree.
/// Keyed, not a list: a transaction reads its own writes back (rotation: a thousand
/// writes, a read before each), so a lookup must not scan them.
#[derive(Default)]
pub(crate) struct WriteSet {
    trees: [BTreeMap<Vec<u8>, Option<Vec<u8>>>; TREES],
}

/// How many trees `TreeId` names.
const TREES: usize = 6;

impl WriteSet {
    pub(crate) fn put(&mut self, tree: TreeId, key: Vec<u8>, value: Vec<u8>) {
        self.trees[tree as usize].insert(key, Some(value));
    }

    pub(crate) fn delete(&mut self, tree: TreeId, key: Vec<u8>) {
        self.trees[tree as usize].insert(key, None);
    }

    /// The last change this set makes to `key` of `tree`, if any (`Some(None)`: deleted).
    pub(crate) fn latest(&self, tree: TreeId, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.trees[tree as usize].get(key).cloned()
    }
}

pub(crate) struct Engine {
    pub(crate) db: sled::Db,
    pub(crate) vaults: Tree,
    pub(crate) credentials: Tree,
    pub(crate) tokens: Tree,
    pub(crate) list_all: Tree,
    pub(crate) list_active: Tree,
    pub(crate) meta: Tree,
    sled_dir: PathBuf,
    /// sled's log file, fsynced after each flush (see `sync`).
    log_file: File,
    /// The largest blob file already fsynced.
    synced_blob: Mutex<u64>,
    log_fsyncs: AtomicU64,
}

impl Engine {
    /// Opens sled in `sled_dir`. The caller holds the store's lock (or the directory
    /// is new): no other sled instance can be writing there.
    pub(crate) fn open(sled_dir: &Path, cache_capacity: u64) -> Result<Engine> {
        remove_interrupted_snapshots(sled_dir)
            .map_err(|e| Error::io(format!("cleaning {}", sled_dir.display()), e))?;
        let config = sled::Config::new()
            .path(sled_dir)
            .cache_capacity(cache_capacity)
            // Flushing is ours: after each change (Immediate) or on our timer (Periodic).
            .flush_every_ms(None);
        let db = open_db(&config)?;
        let tree = |name: &str| -> Result<Tree> { Ok(db.open_tree(name)?) };
        let log_path = sled_dir.join("db");
        let log_file = File::open(&log_path)
            .map_err(|e| Error::io(format!("opening {}", log_path.display()), e))?;
        Ok(Engine {
            vaults: tree("vaults")?,
            credentials: tree("credentials")?,
            tokens: tree("tokens")?,
            list_all: tree("list_all")?,
            list_active: tree("list_active")?,
            meta: tree("meta")?,
            db,
            sled_dir: sled_dir.to_owned(),
            log_file,
            synced_blob: Mutex::new(0),
            log_fsyncs: AtomicU64::new(0),
        })
    }

    /// Applies every change of `set` in one sled transaction.
    pub(crate) fn apply(&self, set: &WriteSet) -> Result<()> {
        let trees = (
            &self.vaults,
            &self.credentials,
            &self.tokens,
            &self.list_all,
            &self.list_active,
            &self.meta,
        );
        // sled may re-run this closure on conflict, so it only replays prepared bytes:
        // sealing and encoding happened before.
        let result = trees.transaction(
            |(vaults, credentials, tokens, list_all, list_active, meta)| -> ConflictableTransactionResult<(), Infallible> {
                // In `TreeId` order.
                let txs = [vaults, credentials, tokens, list_all, list_active, meta];
                for (tx, changes) in txs.into_iter().zip(&set.trees) {
                    for (key, value) in changes {
                        match value {
                            Some(value) => tx.insert(key.as_slice(), value.as_slice())?,
                            None => tx.remove(key.as_slice())?,
                        };
                    }
                }
                Ok(())
            },
        );
        result.map_err(|e| match e {
            TransactionError::Storage(e) => e.into(),
            TransactionError::Abort(never) => match never {},
        })
    }

    /// Makes everything applied so far durable. sled 0.34's flush ends in
    /// `sync_file_range`, which neither flushes the drive's cache nor file metadata
    /// (sled issue 1452), so the log file is fsynced after it, and so is any new blob
    /// file (large values, which sled writes without a sync).
    pub(crate) fn sync(&self) -> Result<()> {
        self.db.flush()?;
        self.fsync_log()
            .map_err(|e| Error::io("fsync of the store's log", e))?;
        self.sync_new_blobs()
            .map_err(|e| Error::io("fsync of the store's blob files", e))
    }

    /// The only place the log is fsynced, and what `StoreStats::log_fsyncs` counts: a
    /// test that a durable write fsyncs fails if this call goes missing.
    fn fsync_log(&self) -> std::io::Result<()> {
        self.log_file.sync_all()?;
        self.log_fsyncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn sync_new_blobs(&self) -> std::io::Result<()> {
        let blobs = self.sled_dir.join("blobs");
        let mut synced = self.synced_blob.lock().unwrap_or_else(|p| p.into_inner());
        let mut newest = *synced;
        for entry in std::fs::read_dir(&blobs)? {
            let entry = entry?;
            let lsn = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u64>().ok());
            match lsn {
                Some(lsn) if lsn > *synced => {
                    File::open(entry.path())?.sync_all()?;
                    newest = newest.max(lsn);
                }
                _ => {}
            }
        }
        if newest > *synced {
            crate::fsutil::sync_dir(&blobs)?;
            *synced = newest;
        }
        Ok(())
    }

    /// How many times the log was fsynced (see `VaultStore::stats`).
    pub(crate) fn log_fsyncs(&self) -> u64 {
        self.log_fsyncs.load(Ordering::Relaxed)
    }
}

/// Removes the `snap.*.generating` files a crash left behind. sled 0.34 writes a
/// snapshot to `snap.<lsn>.generating`, fsyncs it and renames it to `snap.<lsn>`; the
/// rename is the commit. But when it opens, it takes the last file named `snap.*` in
/// sort order as the snapshot — and `.generating` sorts after the finished one — so a
/// crash while a snapshot was written (sled writes one at every close) leaves a store
/// that refuses to open ("damage at None"). An unrenamed file was never committed:
/// without it, sled starts from the previous snapshot, which it removes only after
/// the rename, and replays the log from there.
fn remove_interrupted_snapshots(sled_dir: &Path) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(sled_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut removed = false;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(entry.path())?;
            removed = true;
        }
    }
    if removed {
        crate::fsutil::sync_dir(sled_dir)?;
    }
    Ok(())
}

/// How long an open waits for sled's own lock, held a moment past the close of an
/// earlier open in this process.
const SLED_LOCK_WAIT: Duration = Duration::from_secs(5);

/// Opens sled. sled 0.34 releases its file lock only when its I/O threads are done,
/// which can be after the last handle is dropped (sled issues 1234, 1289), so a close
/// then an open at once could fail. The store's `LOCK` is already ours, so no one else
/// can hold sled's: wait for it instead. A damaged `conf` makes sled say "unsupported";
/// for a store made by this crate that is damage.
fn open_db(config: &sled::Config) -> Result<sled::Db> {
    let deadline = Instant::now() + SLED_LOCK_WAIT;
    loop {
        match contain_panics("opening the storage engine", || config.open())? {
            Err(sled::Error::Io(e)) if is_sled_lock(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(sled::Error::Unsupported(why)) => {
                return Err(Error::corrupted(format!(
                    "the storage engine refuses its files: {why}"
                )))
            }
            other => return Ok(other?),
        }
    }
}

/// sled reports its lock as an untyped I/O error; this is its wording.
fn is_sled_lock(e: &std::io::Error) -> bool {
    e.to_string().contains("could not acquire lock")
}

/// Runs a sled call that may panic on damaged files, turning a panic into
/// [`Error::Corrupted`]: a damaged store must give an error, not take the process down.
pub(crate) fn contain_panics<T>(doing: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Error::corrupted(format!("the storage engine failed while {doing}: {why}"))
    })
}

#[cfg(test)]
mod tests {
    use super::{Engine, TreeId, WriteSet};

    #[test]
    fn the_last_change_to_a_key_is_what_reads_see_and_what_commits() {
        let dir = tempfile::tempdir().expect("test");
        let engine = Engine::open(dir.path(), 1 << 20).expect("test");
        engine
            .credentials
            .insert(b"gone", b"old".as_slice())
            .expect("test");
        let mut set = WriteSet::default();
        set.put(TreeId::Tokens, b"k".to_vec(), b"first".to_vec());
        set.delete(TreeId::Tokens, b"k".to_vec());
        set.put(TreeId::Tokens, b"k".to_vec(), b"last".to_vec());
        set.put(TreeId::Credentials, b"gone".to_vec(), b"new".to_vec());
        set.delete(TreeId::Credentials, b"gone".to_vec());
        // The same key in another tree is another row.
        set.put(TreeId::Vaults, b"k".to_vec(), b"vault".to_vec());

        assert_eq!(
            set.latest(TreeId::Tokens, b"k"),
            Some(Some(b"last".to_vec()))
        );
        assert_eq!(set.latest(TreeId::Credentials, b"gone"), Some(None));
        assert_eq!(set.latest(TreeId::Meta, b"k"), None);
        engine.apply(&set).expect("test");
        assert_eq!(
            engine.tokens.get(b"k").expect("test").as_deref(),
            Some(&b"last"[..])
        );
        assert_eq!(engine.credentials.get(b"gone").expect("test"), None);
        assert_eq!(
            engine.vaults.get(b"k").expect("test").as_deref(),
            Some(&b"vault"[..])
        );
    }
}
