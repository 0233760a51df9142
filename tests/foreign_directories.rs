//! Guards where a store or a backup may be written: a directory vaultstore makes, or an
//! existing one of the current user made private (0700) before anything is written in
//! it. Another user's directory, or a backup target inside the live store, is refused
//! with nothing written; a store path that is a file or a directory of other files is
//! refused saying what it is.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use vaultstore::{Error, MasterKey, VaultStore};

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_path_refused(err: &Error, says: &str) {
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(err.field(), Some("path"), "{err}");
    assert!(err.to_string().contains(says), "{err}");
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    pub fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("meta").permissions().mode() & 0o777
    }

    pub fn set_mode(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    /// An empty 0777 directory given to uid 65534, or `None` where only root could.
    fn foreign_empty_dir(parent: &Path) -> Option<std::path::PathBuf> {
        let dir = parent.join("theirs");
        fs::create_dir(&dir).expect("mkdir");
        set_mode(&dir, 0o777);
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).ok()?;
        Some(dir)
    }

    #[test]
    fn a_backup_into_another_users_directory_is_refused_untouched() {
        let parent = tempfile::tempdir().expect("dir");
        let store_dir = tempfile::tempdir().expect("dir");
        let store = open(&store_dir);
        vault(&store, "v");
        let Some(theirs) = foreign_empty_dir(parent.path()) else {
            return;
        };
        let err = store.backup(&theirs).expect_err("another user's directory");
        assert_path_refused(&err, "user id 65534");
        assert!(names(&theirs).is_empty(), "nothing written");
        assert_eq!(mode(&theirs), 0o777, "nothing chmodded");
    }

    #[test]
    fn a_store_in_another_users_directory_is_refused_untouched() {
        let parent = tempfile::tempdir().expect("dir");
        let Some(theirs) = foreign_empty_dir(parent.path()) else {
            return;
        };
        let err = VaultStore::open(&theirs, MasterKey::from_bytes(KEY)).expect_err("theirs");
        assert_path_refused(&err, "user id 65534");
        assert!(names(&theirs).is_empty(), "nothing written");
    }

    #[test]
    fn a_backup_into_an_open_directory_of_ours_makes_it_private() {
        let parent = tempfile::tempdir().expect("dir");
        let store_dir = tempfile::tempdir().expect("dir");
        let store = open(&store_dir);
        let target = parent.path().join("copy");
        fs::create_dir(&target).expect("mkdir");
        set_mode(&target, 0o777);
        store.backup(&target).expect("backup");
        assert_eq!(mode(&target), 0o700);
    }

    #[test]
    fn a_failed_first_open_leaves_the_directory_private() {
        // A header without data: the open fails after the engine wrote its files.
        let other = tempfile::tempdir().expect("dir");
        drop(open(&other));
        let dir = tempfile::tempdir().expect("dir");
        fs::copy(other.path().join("HEADER"), dir.path().join("HEADER")).expect("copy");
        set_mode(dir.path(), 0o777);
        let err = VaultStore::open(dir.path(), MasterKey::from_bytes(KEY)).expect_err("no data");
        assert!(matches!(err, Error::Corrupted { .. }), "{err:?}");
        assert_eq!(
            mode(dir.path()),
            0o700,
            "restricted before the engine wrote its files"
        );
    }
}

#[test]
fn a_backup_inside_the_live_store_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(&dir);
    let before = names(dir.path());
    for target in [dir.path().join("backup"), dir.path().join("data/x")] {
        let err = store.backup(&target).expect_err("inside the store");
        assert_path_refused(&err, "inside the store's own directory");
    }
    assert_eq!(names(dir.path()), before, "nothing written");
}

#[test]
fn a_store_path_that_is_a_file_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("notes.txt");
    fs::write(&file, "x").expect("write");
    let err = VaultStore::open(&file, MasterKey::from_bytes(KEY)).expect_err("a file");
    assert_path_refused(&err, "is a file, not a directory");
}

#[test]
fn a_directory_of_other_files_says_what_it_holds() {
    let dir = tempfile::tempdir().expect("dir");
    fs::write(dir.path().join("notes.txt"), "x").expect("write");
    let err = VaultStore::open(dir.path(), MasterKey::from_bytes(KEY)).expect_err("others'");
    assert_path_refused(&err, "directory of other files (such as \"notes.txt\")");
}
