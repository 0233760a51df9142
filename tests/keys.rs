//! Guards the master key: wrong keys fail at open with a typed error, key files and
//! passphrases work, and rotation re-seals everything so the old key opens nothing.

mod common;
use common::*;
use vaultstore::{Error, KdfCost, MasterKey, VaultStore};

const CHEAP: KdfCost = KdfCost::insecure_for_tests(256, 1, 1);

fn open_with(dir: &tempfile::TempDir, key: [u8; 32]) -> Result<VaultStore, Error> {
    VaultStore::open(dir.path(), MasterKey::from_bytes(key))
}

#[test]
fn a_wrong_key_fails_at_open() {
    let dir = tempfile::tempdir().expect("dir");
    drop(open(&dir));
    let err = open_with(&dir, [8; 32]).expect_err("wrong key");
    assert!(matches!(err, Error::WrongKey), "{err:?}");
    assert_eq!(err.api_type(), "api_error");
    assert!(open_with(&dir, KEY).is_ok(), "the right key still opens it");
}

#[test]
fn no_key_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let err = VaultStore::builder(dir.path()).open().expect_err("no key");
    assert_eq!(err.field(), Some("key"));
}

#[test]
fn key_files_open_stores() {
    let dir = tempfile::tempdir().expect("dir");
    let key_path = dir.path().join("master.key");
    MasterKey::generate()
        .write_to_file(&key_path)
        .expect("write");
    let store_dir = dir.path().join("store");
    let id = {
        let store = VaultStore::builder(&store_dir)
            .key_file(&key_path)
            .open()
            .expect("open");
        vault(&store, "v").id
    };
    let store = VaultStore::builder(&store_dir)
        .key_file(&key_path)
        .open()
        .expect("reopen");
    assert!(store.get_vault(&id).is_ok());
    drop(store);
    std::fs::write(&key_path, "not a key").expect("overwrite");
    let err = VaultStore::builder(&store_dir)
        .key_file(&key_path)
        .open()
        .expect_err("bad file");
    assert_eq!(err.field(), Some("key_file"));
    assert!(
        !err.to_string().contains("not a key"),
        "the file's content is not echoed"
    );
}

#[test]
fn passphrases_open_stores_and_wrong_ones_do_not() {
    let dir = tempfile::tempdir().expect("dir");
    let open_pass = |p: &str| {
        VaultStore::builder(dir.path())
            .kdf_cost(CHEAP)
            .passphrase(secret(p))
            .open()
    };
    let id = vault(&open_pass("correct horse").expect("create"), "v").id;
    assert!(open_pass("correct horse")
        .expect("reopen")
        .get_vault(&id)
        .is_ok());
    assert!(matches!(
        open_pass("wrong horse").expect_err("wrong"),
        Error::WrongKey
    ));
    let raw = VaultStore::open(dir.path(), MasterKey::from_bytes(KEY)).expect_err("raw key");
    assert!(matches!(raw, Error::WrongKey));
}

#[test]
fn rotation_reseals_everything_and_retires_the_old_key() {
    let dir = tempfile::tempdir().expect("dir");
    let (live, archived_vault);
    {
        let store = open(&dir);
        live = vault_with(&store, "live", "https://live.example/", "live-token");
        archived_vault = vault(&store, "old");
        store.archive_vault(&archived_vault.id).expect("archive");
        store
            .account("acme")
            .expect("acme")
            .create_vault(vaultstore::CreateVault::new(
                "acme",
                vec![credential("https://acme.example/", "acme-token")],
            ))
            .expect("create");
        let report = store
            .rotate_key(MasterKey::from_bytes([2; 32]))
            .expect("rotate");
        assert_eq!(report.key_id, 2);
        assert_eq!(
            report.tokens_resealed, 2,
            "every live token in every account, none archived"
        );
        assert_eq!(
            resolve(&store, &[&live.id], "https://live.example/").as_deref(),
            Some("live-token")
        );
        let again = store
            .rotate_key(MasterKey::from_bytes([3; 32]))
            .expect("rotate again");
        assert_eq!(again.key_id, 3);
    }
    assert!(matches!(
        open_with(&dir, KEY).expect_err("first key"),
        Error::WrongKey
    ));
    assert!(matches!(
        open_with(&dir, [2; 32]).expect_err("second key"),
        Error::WrongKey
    ));
    let store = open_with(&dir, [3; 32]).expect("new key");
    assert_eq!(
        resolve(&store, &[&live.id], "https://live.example/").as_deref(),
        Some("live-token")
    );
    let report = store.verify().expect("verify");
    assert!(report.is_ok() && report.tokens_opened == 2, "{report:?}");
}

#[test]
fn rotating_to_a_passphrase_works() {
    let dir = tempfile::tempdir().expect("dir");
    let id = {
        let store = VaultStore::builder(dir.path())
            .key(MasterKey::from_bytes(KEY))
            .kdf_cost(CHEAP)
            .allow_weak_passphrase()
            .open()
            .expect("open");
        let id = vault_with(&store, "v", "https://v.example/", "tok").id;
        store
            .rotate_to_passphrase(secret("new pass"))
            .expect("rotate");
        id
    };
    let store = VaultStore::builder(dir.path())
        .passphrase(secret("new pass"))
        .open()
        .expect("passphrase opens");
    assert_eq!(
        resolve(&store, &[&id], "https://v.example/").as_deref(),
        Some("tok")
    );
}
