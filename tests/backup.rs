//! Guards that `backup` of a live store, while other threads write, gives a copy that
//! opens with the same key, verifies clean and holds every write acknowledged before it.

mod common_robust;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common_robust::*;
use vaultstore::{Error, VaultStore};

const WRITERS: usize = 2;

#[test]
fn a_backup_taken_during_writes_holds_every_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir.path().join("store"));
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, acked, stop) = (store.clone(), Arc::clone(&acked), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) || n < 5 {
                    let url = format!("https://w{w}-{n}.example/mcp");
                    let token = format!("fake-token-{w}-{n}");
                    let v = create_vault(&store, &format!("w{w}-{n}"), &[(&url, &token)]);
                    if n % 3 == 0 {
                        store.archive_vault(&v.id).expect("archive");
                    } else {
                        acked.lock().expect("lock").push((v.id, url));
                    }
                    n += 1;
                }
            })
        })
        .collect();
    while acked.lock().expect("lock").len() < 10 {
        std::thread::yield_now();
    }
    let before: Vec<_> = acked.lock().expect("lock").clone();
    let copy_dir = dir.path().join("backup");
    store.backup(&copy_dir).expect("backup");
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().expect("writer thread");
    }

    // The original is still open: the copy is a store of its own.
    let copy = open(&copy_dir);
    let report = copy.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    for (vault, url) in &before {
        let token = bearer(&copy, vault, url).expect("lookup");
        assert!(
            token.is_some(),
            "{vault} acknowledged before the backup is missing"
        );
    }
    assert!(report.vaults >= before.len() as u64);
}

#[test]
fn a_backup_opens_only_with_the_key_of_its_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir.path().join("store"));
    let v = create_vault(&store, "main", &[("https://a.example/mcp", "fake-token-a")]);
    store
        .rotate_key(vaultstore::MasterKey::from_bytes([9; 32]))
        .expect("rotate");
    store.backup(dir.path().join("copy")).expect("backup");
    let copy_path = dir.path().join("copy");
    let wrong = VaultStore::open(&copy_path, key()).expect_err("old key");
    assert!(matches!(wrong, Error::WrongKey), "{wrong:?}");
    let copy = VaultStore::open(&copy_path, vaultstore::MasterKey::from_bytes([9; 32]))
        .expect("new key opens the copy");
    let token = bearer(&copy, &v.id, "https://a.example/mcp").expect("lookup");
    assert_eq!(token.as_deref(), Some("fake-token-a"));
}

#[test]
fn a_backup_refuses_a_non_empty_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir.path().join("store"));
    let target = dir.path().join("target");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::write(target.join("something"), b"x").expect("write");
    let err = store.backup(&target).expect_err("non-empty target");
    assert_eq!(err.api_type(), "invalid_request_error");
    let err = store.backup(target.join("something")).expect_err("a file");
    assert_eq!(err.api_type(), "invalid_request_error");
    // An empty directory is fine.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    store
        .backup(&empty)
        .expect("backup into an empty directory");
    assert!(open(&empty).verify().expect("verify").is_ok());
}
