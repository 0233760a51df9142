//! File-system details: private permissions, durable renames.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` 0700 (its missing parents with the default mode); fails if it exists.
pub(crate) fn create_new_private_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    fs::DirBuilder::new().mode_private().create(dir)
}

/// Makes a directory 0700.
pub(crate) fn set_private_dir_mode(dir: &Path) -> io::Result<()> {
    set_mode(dir, 0o700)
}

trait PrivateDirBuilder {
    fn mode_private(&mut self) -> &mut Self;
}

impl PrivateDirBuilder for fs::DirBuilder {
    fn mode_private(&mut self) -> &mut Self {
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(self, 0o700);
        self
    }
}

/// Creates a new file readable only by its owner; fails if it exists.
pub(crate) fn create_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Opens (creating if needed) a file readable only by its owner.
pub(crate) fn open_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// The entries a store directory is made of; nothing else in it is ever touched.
pub(crate) const STORE_ENTRIES: [&str; 7] = [
    "LOCK",
    "HEADER",
    "HEADER.tmp",
    "data",
    // A compaction's new copy, its marker, and the old data it replaces.
    "data.compact",
    "COMPACTING",
    "data.old",
];

/// Makes the store directory 0700 and the store's own files 0600 (their directories
/// 0700). sled creates its files with the process umask; the 0700 directory already
/// shuts others out, and this tightens the files themselves. Entries that are not the
/// store's are left alone.
pub(crate) fn restrict_store(dir: &Path) -> io::Result<()> {
    set_mode(dir, 0o700)?;
    for name in STORE_ENTRIES {
        let path = dir.join(name);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                set_mode(&path, 0o700)?;
                restrict_tree(&path)?;
            }
            Ok(meta) if meta.is_file() => set_mode(&path, 0o600)?,
            _ => {}
        }
    }
    Ok(())
}

/// An entry that keeps `dir` from becoming a store, if any: `None` if it does not
/// exist, is empty, holds nothing but store entries (a store, or a first open that
/// stopped half-way), or is already a store (whose other entries are the user's).
pub(crate) fn foreign_entry(dir: &Path) -> io::Result<Option<std::ffi::OsString>> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let name = entry?.file_name();
                if !STORE_ENTRIES.iter().any(|n| name == *n) {
                    let is_store = dir.join("HEADER").exists() || dir.join("data").exists();
                    return Ok((!is_store).then_some(name));
                }
            }
            Ok(None)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn restrict_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            set_mode(&path, 0o700)?;
            restrict_tree(&path)?;
        } else {
            set_mode(&path, 0o600)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Writes `bytes` to `path` atomically and durably: a temporary file, fsync, rename,
/// fsync of the directory.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut file = create_private_file(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Why a file or directory is not private to the current user.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotPrivate {
    /// Group or others have some access (the mode's permission bits).
    Mode(u32),
    /// Another user owns it.
    Owner { owner: u32, me: u32 },
}

impl NotPrivate {
    /// A sentence for an error message about `what` at `path`, with the fix.
    pub(crate) fn explain(&self, what: &str, path: &str) -> String {
        match self {
            NotPrivate::Mode(mode) => format!(
                "is open to other users (mode {mode:04o}); {what} must be readable by its \
                 owner only: run `chmod 600 {path}`"
            ),
            NotPrivate::Owner { owner, me } => format!(
                "belongs to user id {owner}, not to the user running this (id {me}); \
                 {what} must be owned by that user: run `chown {me} {path}` or run as \
                 its owner"
            ),
        }
    }
}

/// The effective user id of this process.
#[cfg(unix)]
pub(crate) fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Checks that `meta` (of a file) is owned by the current user with no access for
/// group or others. Always passes off Unix.
pub(crate) fn check_private_to_user(meta: &fs::Metadata) -> Result<(), NotPrivate> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = current_uid();
        if meta.uid() != me {
            return Err(NotPrivate::Owner {
                owner: meta.uid(),
                me,
            });
        }
        if meta.mode() & 0o077 != 0 {
            return Err(NotPrivate::Mode(meta.mode() & 0o7777));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// fsyncs every file and directory under `dir`, and `dir` itself.
pub(crate) fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            File::open(entry.path())?.sync_all()?;
        }
    }
    sync_dir(dir)
}

/// Overwrites every file under `dir` with zeros (fsynced), then removes the tree. On a
/// copy-on-write file system or an SSD the old blocks may survive; this is best effort.
pub(crate) fn shred_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            shred_tree(&entry.path())?;
        } else if kind.is_file() {
            overwrite_with_zeros(&entry.path())?;
        }
    }
    fs::remove_dir_all(dir)
}

fn overwrite_with_zeros(path: &Path) -> io::Result<()> {
    use std::io::Write;
    let mut file = OpenOptions::new().write(true).open(path)?;
    let mut left = file.metadata()?.len();
    let zeros = [0u8; 64 * 1024];
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

/// The bytes of the files under `dir` (0 if it does not exist).
pub(crate) fn tree_size(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            tree_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
