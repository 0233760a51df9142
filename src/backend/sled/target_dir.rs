//! Where vaultstore may write a store (or a backup): a directory it makes itself
//! (0700), or an existing one of the current user, tightened to 0700 before anything is
//! written in it. Another user's directory is refused untouched: files written there
//! would get the umask's mode, readable by that user, until a final chmod that may fail.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::{self, NotPrivate};

/// Makes `dir` ready for store files; `what` names it in messages ("the backup target").
pub(crate) fn prepare(dir: &Path, what: &str) -> Result<()> {
    let shown = dir.display();
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            match fsutil::create_new_private_dir(dir) {
                Ok(()) => Ok(()),
                // Made by someone else meanwhile: judged like any existing directory.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => check_existing(dir, what),
                Err(e) => Err(Error::io(format!("creating {what} {shown}"), e)),
            }
        }
        Err(e) => Err(Error::io(format!("reading {what} {shown}"), e)),
        Ok(_) => check_existing(dir, what),
    }
}

fn check_existing(dir: &Path, what: &str) -> Result<()> {
    let shown = dir.display();
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(not_a_directory(dir, what)),
        Ok(meta) => {
            if let Err(problem @ NotPrivate::Owner { .. }) = fsutil::check_private_to_user(&meta) {
                return Err(Error::invalid(
                    "path",
                    format!(
                        "path: {what} {shown} {}; vaultstore writes only into a directory \
                         it makes or one of the current user",
                        problem.explain("it", &shown.to_string())
                    ),
                ));
            }
            fsutil::set_private_dir_mode(dir).map_err(|e| cannot_write(dir, what, e))
        }
        Err(e) => Err(Error::io(format!("reading {what} {shown}"), e)),
    }
}

/// The error for a directory that cannot be made private or written: on read-only
/// media (or a store copied in read-only for inspection) it says how to inspect it.
/// sled 0.34 has no read-only mode and writes on every open, so there is no safe
/// read-only open to offer.
fn cannot_write(dir: &Path, what: &str, e: io::Error) -> Error {
    let shown = dir.display();
    let context = match e.kind() {
        io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => format!(
            "{what} {shown} cannot be written, and vaultstore writes even to read (its \
             storage engine writes on every open; there is no read-only open). To inspect \
             it, copy the directory (cp -a {shown} COPY) and open the copy with the same key"
        ),
        _ => format!("making {what} {shown} private (0700) before writing in it"),
    };
    Error::io(context, e)
}

/// Refuses a store path that is a file, or a directory of other files, saying what it
/// is and what to do. Nothing is created or changed.
pub(crate) fn check_store_path(dir: &Path) -> Result<()> {
    let what = "the store path";
    if fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        return Err(not_a_directory(dir, what));
    }
    let foreign = fsutil::foreign_entry(dir)
        .map_err(|e| Error::io(format!("reading the store directory {}", dir.display()), e))?;
    match foreign {
        // Never make a store in, or change the permissions of, a directory of other files.
        Some(name) => Err(Error::invalid(
            "path",
            format!(
                "path: {what} {} is a directory of other files (such as {:?}) with no \
                 vaultstore store in it (no HEADER or data); pass the store's own \
                 directory, or a new or empty directory to make a store",
                dir.display(),
                name
            ),
        )),
        None => Ok(()),
    }
}

/// The refusal of a path that exists and is not a directory.
pub(crate) fn not_a_directory(dir: &Path, what: &str) -> Error {
    Error::invalid(
        "path",
        format!(
            "path: {what} {} is a file, not a directory; a store is a directory: pass \
             the store's directory, or a path that does not exist yet to make one",
            dir.display()
        ),
    )
}

/// Whether `path` (which may not exist yet) lies inside directory `dir`, both taken
/// through symlinks.
pub(crate) fn is_inside(path: &Path, dir: &Path) -> io::Result<bool> {
    let dir = dir.canonicalize()?;
    Ok(resolved(path)?.starts_with(dir))
}

/// `path` with its longest existing ancestor resolved and the rest appended (the rest
/// does not exist, so it holds no symlink and its `..` can be taken lexically).
fn resolved(path: &Path) -> io::Result<PathBuf> {
    use std::path::Component;
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let mut real = loop {
        match existing.canonicalize() {
            Ok(real) => break real,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let (Some(parent), Some(last)) =
                    (existing.parent(), existing.components().next_back())
                else {
                    return Err(e);
                };
                rest.push(last.as_os_str().to_owned());
                existing = parent;
            }
            Err(e) => return Err(e),
        }
    };
    for part in rest.iter().rev() {
        match Path::new(part).components().next() {
            Some(Component::ParentDir) => {
                real.pop();
            }
            Some(Component::Normal(name)) => real.push(name),
            _ => {}
        }
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_media_get_the_way_to_inspect_a_copy() {
        let dir = Path::new("/media/ro/store");
        for kind in [
            io::ErrorKind::ReadOnlyFilesystem,
            io::ErrorKind::PermissionDenied,
        ] {
            let message = cannot_write(dir, "the store directory", kind.into()).to_string();
            assert!(
                message.contains("cp -a /media/ro/store COPY") && message.contains("read-only"),
                "{message}"
            );
        }
    }

    #[test]
    fn paths_inside_a_directory_are_seen_through_missing_parts() {
        let dir = tempfile::tempdir().expect("dir");
        let store = dir.path().join("store");
        fs::create_dir(&store).expect("mkdir");
        assert!(is_inside(&store.join("a/b"), &store).expect("inside"));
        assert!(is_inside(&store, &store).expect("itself"));
        assert!(!is_inside(&dir.path().join("copy"), &store).expect("beside"));
        assert!(is_inside(&store.join("x/../y"), &store).expect("dots"));
        assert!(!is_inside(&store.join("x/../../y"), &store).expect("dots out"));
    }
}
