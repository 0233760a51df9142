//! `compact`: a closed store's live data copied into fresh engine files that replace
//! the old ones, so deleted and superseded ciphertext leaves the store's files.
//!
//! Crash safety, in the store directory:
//! 1. every tree is copied, key by key (records are not decoded), into `data.compact`,
//!    which is fsynced file by file;
//! 2. the marker `COMPACTING` is written durably: from here the copy is the store;
//! 3. `data` is renamed to `data.old`, `data.compact` to `data`, the directory fsynced;
//! 4. the marker is removed, then `data.old` is overwritten and removed.
//!
//! Every open runs [`recover`] first: with the marker it finishes step 3–4, without it
//! it drops an unfinished `data.compact` (and a leftover `data.old`). A crash at any
//! point leaves the old store or the new one, never neither.

use std::fs;
use std::io;
use std::path::Path;

use crate::backend::sled::lock::{DirLock, HEADER_FILE};
use crate::backend::sled::Engine;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::store::backup::copy_tree;
use crate::store::config::Builder;

const DATA: &str = "data";
const FRESH: &str = "data.compact";
const OLD: &str = "data.old";
const MARKER: &str = "COMPACTING";

/// A small cache: each side is read or written once.
const COPY_CACHE_BYTES: u64 = 4 << 20;

/// What a compaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompactReport {
    /// Bytes of the storage engine's files before.
    pub bytes_before: u64,
    /// Bytes of the storage engine's files after.
    pub bytes_after: u64,
}

impl Builder {
    /// Compacts the store, which must be closed: its live data (every tree, every
    /// account) is copied into fresh storage files that replace the old ones crash-safely
    /// (a crash at any point leaves the old store or the new one, and the next open
    /// finishes or drops the compaction). The old files are overwritten with zeros before
    /// they are removed, so the ciphertext of deleted, archived or re-sealed tokens is no
    /// longer in the store's files (a copy-on-write file system or an SSD may keep old
    /// blocks; only a rotated key makes those unreadable for good).
    ///
    /// It opens the store first with the key given, so a wrong key is refused and an
    /// interrupted rotation is finished before anything is rewritten. After
    /// [`VaultStore::rotate_key`](crate::VaultStore::rotate_key), compacting leaves no
    /// ciphertext under the old key in the store.
    ///
    /// A free function on a closed store, not a method on an open one: the engine is
    /// shared by every handle and session, and swapping it under them would put a lock
    /// on every read.
    ///
    /// # Errors
    /// As [`Builder::open`] ([`Error::Locked`] while the store is open anywhere, in this
    /// process too); [`Error::InvalidRequest`] if there is no store at the path;
    /// [`Error::Io`] if the copy cannot be written (the store is then left as it was).
    pub fn compact(self) -> Result<CompactReport> {
        let dir = self.dir.clone();
        if !dir.join(HEADER_FILE).is_file() {
            return Err(Error::invalid(
                "path",
                format!("path: there is no store at {} to compact", dir.display()),
            ));
        }
        drop(self.open()?);
        let _lock = DirLock::acquire(&dir)?;
        compact_locked(&dir)
    }
}

fn compact_locked(dir: &Path) -> Result<CompactReport> {
    recover(dir)?;
    let io = |doing: &str| {
        let doing = format!("{doing} in {}", dir.display());
        move |e: io::Error| Error::io(doing, e)
    };
    let (data, fresh) = (dir.join(DATA), dir.join(FRESH));
    let bytes_before = fsutil::tree_size(&data).map_err(io("measuring the store"))?;
    {
        let source = Engine::open(&data, COPY_CACHE_BYTES)?;
        let copy = Engine::open(&fresh, COPY_CACHE_BYTES)?;
        for name in source.db.tree_names() {
            copy_tree(&source.db.open_tree(&name)?, &copy.db.open_tree(&name)?)?;
        }
        copy.sync()?;
    }
    // sled finishes closing on its own threads after the last handle is dropped (it
    // writes a snapshot then): wait until both engines have let go of their files, so
    // nothing writes into the copy while it is synced, marked and swapped in.
    wait_until_closed(&data)?;
    wait_until_closed(&fresh)?;
    fsutil::sync_tree(&fresh)
        .and_then(|()| fsutil::sync_dir(dir))
        .map_err(io("syncing the compacted copy"))?;
    fsutil::write_durably(&dir.join(MARKER), b"data.compact is complete\n")
        .map_err(io("marking the compacted copy complete"))?;
    recover(dir)?;
    let bytes_after = fsutil::tree_size(&data).map_err(io("measuring the store"))?;
    fsutil::restrict_store(dir).map_err(io("restricting permissions"))?;
    Ok(CompactReport {
        bytes_before,
        bytes_after,
    })
}

/// Waits (up to 5 s) until no sled instance holds the lock on the engine in `dir`.
fn wait_until_closed(dir: &Path) -> Result<()> {
    let log = dir.join("db");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let file =
            fs::File::open(&log).map_err(|e| Error::io(format!("opening {}", log.display()), e))?;
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            Err(_) => {
                return Err(Error::Storage(format!(
                    "the storage engine did not release {} in time",
                    log.display()
                )))
            }
        }
    }
}

/// Finishes a compaction whose copy is complete (the marker is there) or drops one
/// that is not. Run with the store's lock held, before its engine opens.
pub(crate) fn recover(dir: &Path) -> Result<()> {
    let (data, fresh, old, marker) = (
        dir.join(DATA),
        dir.join(FRESH),
        dir.join(OLD),
        dir.join(MARKER),
    );
    let fail = |doing: &str, e: io::Error| {
        Error::io(
            format!("{doing} (an interrupted compaction) in {}", dir.display()),
            e,
        )
    };
    if marker.exists() {
        if fresh.exists() {
            if data.exists() {
                fs::rename(&data, &old).map_err(|e| fail("setting the old data aside", e))?;
            }
            fs::rename(&fresh, &data).map_err(|e| fail("putting the new data in place", e))?;
            fsutil::sync_dir(dir).map_err(|e| fail("syncing the swap", e))?;
        }
        fs::remove_file(&marker)
            .and_then(|()| fsutil::sync_dir(dir))
            .map_err(|e| fail("removing the marker", e))?;
    } else if fresh.exists() {
        fs::remove_dir_all(&fresh).map_err(|e| fail("removing an unfinished copy", e))?;
    }
    if old.exists() {
        fsutil::shred_tree(&old)
            .and_then(|()| fsutil::sync_dir(dir))
            .map_err(|e| fail("removing the old data", e))?;
    }
    Ok(())
}
