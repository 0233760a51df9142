//! Guards that each damaged, foreign or inaccessible store gives its own clear error at
//! open, and that a store with damage is never silently opened as a new, empty one.

mod common_robust;

use std::path::Path;

use common_robust::*;
use tempfile::TempDir;
use vaultstore::{Error, MasterKey, VaultStore};

const A: &str = "https://a.example/mcp";

/// A closed store with one vault; returns its id.
fn store_with_a_vault() -> (TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let id = create_vault(&store, "main", &[(A, "fake-token-a")]).id;
    (dir, id)
}

fn open_err(dir: &Path) -> Error {
    VaultStore::open(dir, key()).expect_err("open must fail")
}

fn assert_corrupted_mentioning(err: Error, words: &str) {
    assert!(matches!(err, Error::Corrupted { .. }), "{err:?}");
    assert!(err.to_string().contains(words), "{err}");
}

#[test]
fn a_newer_format_version_is_unsupported() {
    let (dir, _) = store_with_a_vault();
    let header = dir.path().join("HEADER");
    let mut bytes = std::fs::read(&header).expect("read header");
    assert_eq!(bytes.len(), 25);
    bytes[8] += 1;
    std::fs::write(&header, bytes).expect("write header");
    match open_err(dir.path()) {
        Error::UnsupportedFormat { found, supported } => assert_eq!(found, supported + 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_deleted_header_with_data_present_is_an_error_not_an_empty_store() {
    let (dir, _) = store_with_a_vault();
    std::fs::remove_file(dir.path().join("HEADER")).expect("rm");
    assert_corrupted_mentioning(open_err(dir.path()), "header file is missing");
}

#[test]
fn a_deleted_data_directory_is_an_error_not_an_empty_store() {
    let (dir, _) = store_with_a_vault();
    std::fs::remove_dir_all(dir.path().join("data")).expect("rm");
    assert_corrupted_mentioning(open_err(dir.path()), "data files hold no store");
}

#[test]
fn a_header_of_another_store_is_refused() {
    let (dir, _) = store_with_a_vault();
    let (other, _) = store_with_a_vault();
    std::fs::copy(other.path().join("HEADER"), dir.path().join("HEADER")).expect("cp");
    assert_corrupted_mentioning(open_err(dir.path()), "different stores");
}

#[test]
fn a_garbled_header_is_refused() {
    let (dir, _) = store_with_a_vault();
    std::fs::write(dir.path().join("HEADER"), b"not a header").expect("write");
    assert_corrupted_mentioning(open_err(dir.path()), "not a vaultstore header");
}

#[test]
fn an_unreadable_header_is_an_io_error() {
    // A directory in the header's place cannot be read even by root.
    let (dir, _) = store_with_a_vault();
    let header = dir.path().join("HEADER");
    std::fs::remove_file(&header).expect("rm");
    std::fs::create_dir(&header).expect("mkdir");
    let err = open_err(dir.path());
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("HEADER"), "{err}");
}

#[test]
fn a_wrong_key_is_refused_and_the_right_one_still_opens() {
    let (dir, id) = store_with_a_vault();
    let err = VaultStore::open(dir.path(), MasterKey::from_bytes([8; 32])).expect_err("wrong");
    assert!(matches!(err, Error::WrongKey), "{err:?}");
    assert!(open(dir.path()).get_vault(&id).is_ok());
}

#[test]
fn a_missing_engine_file_never_opens_as_an_empty_store() {
    for file in ["conf", "db"] {
        let (dir, id) = store_with_a_vault();
        std::fs::remove_file(dir.path().join("data").join(file)).expect("rm");
        // Either an error, or the store with its data: never a store that lost it.
        if let Ok(store) = VaultStore::open(dir.path(), key()) {
            assert!(
                store.get_vault(&id).is_ok(),
                "data/{file} missing: vault lost"
            );
        }
    }
}

#[test]
fn a_damaged_engine_config_is_corruption() {
    let (dir, _) = store_with_a_vault();
    let conf = dir.path().join("data").join("conf");
    let mut bytes = std::fs::read(&conf).expect("read conf");
    // Not UTF-8: sled 0.34 takes it for a pre-0.29 store and says "unsupported".
    bytes[0] = 0xff;
    std::fs::write(&conf, bytes).expect("write conf");
    let err = open_err(dir.path());
    assert!(matches!(err, Error::Corrupted { .. }), "{err:?}");
}

/// Whether this process can write where the permission bits say it may not (root can).
fn permission_bits_are_bypassed(dir: &Path) -> bool {
    let probe = dir.join("probe");
    std::fs::create_dir(&probe).expect("mkdir");
    set_mode(&probe, 0o500);
    let bypassed = std::fs::write(probe.join("x"), b"x").is_ok();
    set_mode(&probe, 0o700);
    bypassed
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_read_only_directory_or_unreadable_file_is_an_io_error() {
    let scratch = tempfile::tempdir().expect("tempdir");
    if permission_bits_are_bypassed(scratch.path()) {
        eprintln!(
            "skipped: this process ignores permission bits (running as root), so a \
             read-only directory cannot be simulated; the directory-as-header test covers \
             an unreadable file"
        );
        return;
    }
    let read_only = scratch.path().join("read-only");
    std::fs::create_dir(&read_only).expect("mkdir");
    set_mode(&read_only, 0o500);
    let err = open_err(&read_only.join("store"));
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    set_mode(&read_only, 0o700);

    let (dir, _) = store_with_a_vault();
    set_mode(&dir.path().join("HEADER"), 0o000);
    let err = open_err(dir.path());
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}
