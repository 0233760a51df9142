//! Guards `Builder::compact`: deleted tokens' ciphertext leaves the store's files, live
//! data survives unchanged, and an interrupted compaction is finished (marker present)
//! or dropped (marker absent) by the next open.

mod common_robust;

use std::path::Path;

use common_robust::*;
use vaultstore::{Error, MasterKey, VaultStore};

const GONE: (&str, &str) = ("https://gone.example/mcp", "fake-token-gone");
const KEPT: (&str, &str) = ("https://kept.example/mcp", "fake-token-kept");

fn compact(dir: &Path) -> vaultstore::Result<vaultstore::CompactReport> {
    VaultStore::builder(dir).key(key()).compact()
}

/// Every byte of every file under `dir`, file by file.
fn file_contents(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(file_contents(&path));
        } else {
            out.push(std::fs::read(&path).expect("read file"));
        }
    }
    out
}

fn files_hold(dir: &Path, needle: &[u8]) -> bool {
    file_contents(dir)
        .iter()
        .any(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
}

#[test]
fn a_deleted_tokens_ciphertext_is_gone_from_the_files_after_compact() {
    let dir = tempfile::tempdir().expect("dir");
    let (gone, kept) = {
        let store = open(dir.path());
        let gone = create_vault(&store, "gone", &[GONE]);
        (gone, create_vault(&store, "kept", &[KEPT]))
    };
    // The sealed token as stored: its last 32 bytes are ciphertext and tag.
    let mut sealed = Vec::new();
    edit_raw(dir.path(), |db| {
        let entry = get(&tree(db, "tokens"), &token_key("default", &gone.id, GONE.0));
        sealed = entry[entry.len() - 32..].to_vec();
    });
    {
        let store = open(dir.path());
        store.delete_vault(&gone.id).expect("delete");
    }
    assert!(
        files_hold(dir.path(), &sealed),
        "the log still holds the deleted ciphertext (else this test proves nothing)"
    );

    let report = compact(dir.path()).expect("compact");
    assert!(report.bytes_after > 0, "{report:?}");
    assert!(
        !files_hold(dir.path(), &sealed),
        "the deleted token's ciphertext survived compaction"
    );
    let store = open(dir.path());
    assert_eq!(
        bearer(&store, &kept.id, KEPT.0).expect("lookup").as_deref(),
        Some(KEPT.1)
    );
    assert!(matches!(
        store.get_vault(&gone.id),
        Err(Error::NotFound { .. })
    ));
    assert!(problems(&store).is_empty(), "{:?}", problems(&store));
}

#[test]
fn compact_needs_the_key_a_closed_store_and_a_store() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    create_vault(&store, "v", &[KEPT]);
    assert!(matches!(compact(dir.path()), Err(Error::Locked { .. })));
    drop(store);
    let wrong = VaultStore::builder(dir.path())
        .key(MasterKey::from_bytes([1; 32]))
        .compact();
    assert!(matches!(wrong, Err(Error::WrongKey)), "{wrong:?}");
    let empty = tempfile::tempdir().expect("dir");
    let none = compact(empty.path()).expect_err("no store");
    assert_eq!(none.field(), Some("path"), "{none}");
    assert!(std::fs::read_dir(empty.path())
        .expect("read")
        .next()
        .is_none());
}

/// A store with vault `v`, and a complete copy of its data taken before `extra` was
/// added: what `data.compact` holds once a compaction has copied it.
fn store_and_copy(dir: &Path) -> (String, String, tempfile::TempDir) {
    let store = open(dir);
    let v = create_vault(&store, "v", &[KEPT]).id;
    let copy = tempfile::tempdir().expect("dir");
    store.backup(copy.path().join("b")).expect("backup");
    let extra = create_vault(&store, "extra", &[GONE]).id;
    (v, extra, copy)
}

#[test]
fn a_complete_copy_with_its_marker_is_swapped_in_at_open() {
    for data_set_aside in [false, true] {
        let dir = tempfile::tempdir().expect("dir");
        let (v, extra, copy) = store_and_copy(dir.path());
        copy_dir(
            &copy.path().join("b/data"),
            &dir.path().join("data.compact"),
        );
        std::fs::write(dir.path().join("COMPACTING"), "").expect("marker");
        if data_set_aside {
            // Killed between the two renames.
            std::fs::rename(dir.path().join("data"), dir.path().join("data.old")).expect("mv");
        }
        let store = open(dir.path());
        assert!(store.get_vault(&v).is_ok());
        assert!(
            store.get_vault(&extra).is_err(),
            "the copy, not the old data, is the store"
        );
        assert!(problems(&store).is_empty());
        for leftover in ["COMPACTING", "data.compact", "data.old"] {
            assert!(
                !dir.path().join(leftover).exists(),
                "{leftover} left behind"
            );
        }
    }
}

#[test]
fn an_unfinished_copy_without_its_marker_is_dropped_at_open() {
    let dir = tempfile::tempdir().expect("dir");
    let (v, extra, copy) = store_and_copy(dir.path());
    copy_dir(
        &copy.path().join("b/data"),
        &dir.path().join("data.compact"),
    );
    // Half written: a file cut short.
    std::fs::write(dir.path().join("data.compact/db"), b"cut").expect("truncate");
    let store = open(dir.path());
    assert!(store.get_vault(&v).is_ok() && store.get_vault(&extra).is_ok());
    assert!(!dir.path().join("data.compact").exists());
}
