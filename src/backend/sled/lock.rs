//! The store's lock file and header file.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use crate::crypto::codec::FORMAT_VERSION;
use crate::error::{Error, Result};
use crate::fsutil;

/// An exclusive lock on a store directory, held for the store's life. Taken before sled
/// opens, so a second open gets [`Error::Locked`] rather than sled's untyped error; it
/// also excludes a second open within one process (the lock is per open file).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
    dir: PathBuf,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join("LOCK");
        let file = fsutil::open_private_file(&path)
            .map_err(|e| Error::io(format!("opening lock file {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock {
                _file: file,
                dir: dir.to_owned(),
            }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked {
                path: dir.to_owned(),
            }),
            Err(TryLockError::Error(e)) => Err(Error::io(format!("locking {}", path.display()), e)),
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Dropped after the engine: tighten any file sled made since open.
        let _ = fsutil::restrict_store(&self.dir);
    }
}

const MAGIC: &[u8; 8] = b"VLTSTORE";
const HEADER_LEN: usize = MAGIC.len() + 1 + 16;
pub(crate) const HEADER_FILE: &str = "HEADER";

/// Reads the header file: its format version and the store id, `None` if there is none.
pub(crate) fn read_header(dir: &Path) -> Result<Option<(u8, [u8; 16])>> {
    let path = dir.join(HEADER_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    if bytes.len() != HEADER_LEN || !bytes.starts_with(MAGIC) {
        return Err(Error::corrupted(format!(
            "the header file {} is not a vaultstore header",
            path.display()
        )));
    }
    let version = bytes[MAGIC.len()];
    if version > FORMAT_VERSION {
        return Err(Error::UnsupportedFormat {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(Error::corrupted(format!(
            "the header file {} has format 0",
            path.display()
        )));
    }
    let mut store_id = [0u8; 16];
    store_id.copy_from_slice(&bytes[MAGIC.len() + 1..]);
    Ok(Some((version, store_id)))
}

/// Writes the header file (this build's format), last step of making a store: from
/// then on the directory is a store, and data missing from it is damage, never a fresh
/// start. Rewritten once a migration to this format is complete.
pub(crate) fn write_header(dir: &Path, store_id: &[u8; 16]) -> Result<()> {
    let bytes = [MAGIC.as_slice(), &[FORMAT_VERSION], store_id].concat();
    let path = dir.join(HEADER_FILE);
    fsutil::write_durably(&path, &bytes)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}
