//! `backup`: a consistent copy of a live store, made record by record into a fresh
//! storage engine (a copy of sled's files while it runs would not be consistent).

use std::path::Path;

use crate::backend::sled::lock::write_header;
use crate::backend::sled::target_dir;
use crate::backend::sled::Engine;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::store::VaultStore;

/// Records copied per write batch.
const BATCH: usize = 1024;

/// A small cache: the copy is written once and closed.
const COPY_CACHE_BYTES: u64 = 4 << 20;

impl VaultStore {
    /// Writes a copy of the whole store (every account) to `target`, a directory that
    /// must not exist or be empty. The copy has the same store id, key record and
    /// records, so it opens with the same key as this store (at the time of the copy).
    ///
    /// The copy is one consistent point in time: writers in other threads wait while it
    /// is made (it holds the store's writer lock), and a key rotation finishes before it
    /// starts. Sessions keep resolving meanwhile. The copy is fsynced before this returns.
    ///
    /// `target` is created 0700, or, if it exists, must belong to the current user and
    /// is made 0700 before anything is written in it: the copy holds the ciphertext,
    /// salt and key check, and sled writes its files with the umask's mode.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] (field `path`) if `target` exists and is not an empty
    /// directory, belongs to another user, or lies inside this store's directory;
    /// [`Error::Io`] if it cannot be written; storage errors reading this store.
    pub fn backup(&self, target: impl AsRef<Path>) -> Result<()> {
        let target = target.as_ref();
        check_target(target)?;
        let inside = target_dir::is_inside(target, self.path())
            .map_err(|e| Error::io(format!("resolving {}", target.display()), e))?;
        if inside {
            return Err(Error::invalid(
                "path",
                format!(
                    "path: the backup target {} is inside the store's own directory {}; \
                     choose a directory outside it",
                    target.display(),
                    self.path().display()
                ),
            ));
        }
        // Private before sled writes a byte: its files get the umask's mode.
        target_dir::prepare(target, "the backup target")?;
        // Lock order as in a rotation: rotation, then writer.
        let _no_rotation = self
            .inner
            .rotation
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let sled = self.sled("backup")?;
        let _no_writes = sled.writer();
        let copy = Engine::open(&target.join("data"), COPY_CACHE_BYTES)?;
        let source = &sled.engine.db;
        for name in source.tree_names() {
            copy_tree(&source.open_tree(&name)?, &copy.db.open_tree(&name)?)?;
        }
        copy.sync()?;
        drop(copy);
        // The header goes last, as when a store is made: without it the copy is no store.
        write_header(target, &self.inner.store_id)?;
        fsutil::restrict_store(target)
            .and_then(|()| fsutil::sync_dir(target))
            .and_then(|()| fsutil::sync_dir(parent_of(target)))
            .map_err(|e| Error::io(format!("finishing the backup in {}", target.display()), e))
    }
}

fn check_target(target: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Error::invalid(
            "path",
            format!("path: the backup target {} {why}", target.display()),
        )
    };
    match std::fs::read_dir(target).map(|mut entries| entries.next().is_none()) {
        Ok(true) => Ok(()),
        Ok(false) => Err(refuse("is not empty")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            Err(refuse("is not a directory"))
        }
        Err(e) => Err(Error::io(format!("reading {}", target.display()), e)),
    }
}

/// The directory holding `path`; "." for a bare relative name (whose parent is "").
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Copies every key/value of `from` into `to`, in batches (records are not decoded).
pub(crate) fn copy_tree(from: &sled::Tree, to: &sled::Tree) -> Result<()> {
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    for item in from.iter() {
        let (key, value) = item?;
        batch.insert(key, value);
        pending += 1;
        if pending == BATCH {
            to.apply_batch(std::mem::take(&mut batch))?;
            pending = 0;
        }
    }
    to.apply_batch(batch)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_is_synced_through_the_current_directory() {
        assert_eq!(parent_of(Path::new("backup")), Path::new("."));
        assert_eq!(parent_of(Path::new("/srv/backup")), Path::new("/srv"));
    }
}
