//! Guards that a store open in this process or in another one refuses a second open
//! with `Error::Locked`, and opens again once the holder is gone.

mod common_robust;

use std::io::Write;
use std::time::Duration;

use common_robust::*;
use vaultstore::{Error, VaultStore};

fn assert_locked(dir: &std::path::Path) {
    match VaultStore::open(dir, key()) {
        Err(Error::Locked { path }) => assert_eq!(path, dir),
        other => panic!("expected Locked, got {other:?}"),
    }
}

#[test]
fn a_second_open_in_the_same_process_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    assert_locked(dir.path());
    // A clone is the same open store, not a second open.
    let clone = store.clone();
    drop(store);
    assert_locked(dir.path());
    drop(clone);
    open(dir.path());
}

#[test]
fn a_second_open_in_another_process_is_locked() {
    if let Some(dir) = child_role() {
        // Child: hold the store open until the parent closes our stdin.
        let _store = open(std::path::Path::new(&dir));
        say("open");
        let _ = std::io::stdin().read_line(&mut String::new());
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let role = dir.path().to_str().expect("utf-8 path").to_owned();
    let mut child = spawn_child("a_second_open_in_another_process_is_locked", &role, &[]);
    let lines = child_lines(&mut child);
    let line = lines.recv_timeout(Duration::from_secs(60));
    assert_eq!(
        line.as_deref(),
        Ok("open"),
        "the child did not open the store"
    );
    assert_locked(dir.path());
    // Closing stdin ends the child; its lock goes with it.
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(b"\n");
    drop(stdin);
    assert!(child.wait().expect("wait").success());
    open(dir.path());
}
