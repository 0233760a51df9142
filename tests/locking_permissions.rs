//! Guards the lock (one open per store, typed error) and private file permissions.

mod common;
use common::*;
use vaultstore::{Error, MasterKey, VaultStore};

#[test]
fn a_second_open_is_locked_until_the_first_closes() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(&dir);
    let clone = store.clone();
    let err = VaultStore::open(dir.path(), MasterKey::from_bytes(KEY)).expect_err("locked");
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("close it first"), "{err}");
    drop(store);
    assert!(matches!(
        VaultStore::open(dir.path(), MasterKey::from_bytes(KEY))
            .expect_err("a clone still holds it"),
        Error::Locked { .. }
    ));
    drop(clone);
    VaultStore::open(dir.path(), MasterKey::from_bytes(KEY))
        .expect("opens once every handle is gone");
}

#[test]
fn sessions_keep_the_store_open() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(&dir);
    let v = vault(&store, "v");
    let session = store.session(&[&v.id]).expect("session");
    drop(store);
    assert!(session
        .bearer_token("https://v.example.com/mcp")
        .expect("lookup")
        .is_some());
}

#[cfg(unix)]
#[test]
fn the_store_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().expect("dir");
    let dir = parent.path().join("store");
    {
        let store = VaultStore::open(&dir, MasterKey::from_bytes(KEY)).expect("open");
        vault(&store, "v");
    }
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let mut seen = 0;
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                stack.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                seen += 1;
            }
        }
    }
    assert!(seen >= 4, "LOCK, HEADER and sled's files were checked");
}
