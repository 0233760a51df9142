//! Guards which directories become stores: a new or empty one does; one holding other
//! files is refused untouched (no store files, no permission changes); files a user
//! keeps inside a store are left alone.

mod common;
use common::*;
use std::fs;
use vaultstore::{MasterKey, VaultStore};

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("meta").permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(unix)]
#[test]
fn a_directory_of_other_files_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let (script, sub) = (dir.path().join("run.sh"), dir.path().join("bin"));
    fs::write(&script, "#!/bin/sh\n").expect("write");
    fs::create_dir(&sub).expect("mkdir");
    set_mode(&script, 0o755);
    set_mode(&sub, 0o755);
    set_mode(dir.path(), 0o755);

    let err = VaultStore::open(dir.path(), MasterKey::from_bytes(KEY)).expect_err("not a store");
    assert_eq!(
        (err.api_type(), err.field()),
        ("invalid_request_error", Some("path")),
        "{err}"
    );
    assert_eq!(
        (mode(dir.path()), mode(&script), mode(&sub)),
        (0o755, 0o755, 0o755),
        "nothing chmodded"
    );
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .expect("read")
        .map(|e| e.expect("e").file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["bin", "run.sh"], "no store file was created");
}

#[test]
fn new_and_empty_directories_become_stores() {
    let parent = tempfile::tempdir().expect("dir");
    VaultStore::open(parent.path().join("a/b/new"), MasterKey::from_bytes(KEY))
        .expect("new, nested");
    let empty = tempfile::tempdir().expect("dir");
    VaultStore::open(empty.path(), MasterKey::from_bytes(KEY)).expect("empty");
}

#[cfg(unix)]
#[test]
fn a_users_file_inside_a_store_is_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    drop(open(&dir));
    let notes = dir.path().join("NOTES.txt");
    fs::write(&notes, "ops notes").expect("write");
    set_mode(&notes, 0o644);
    let store = open(&dir);
    vault(&store, "v");
    drop(store);
    assert_eq!(mode(&notes), 0o644);
    assert_eq!(mode(dir.path()), 0o700);
}
