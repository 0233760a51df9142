//! Guards the floor on passphrase keys: a new store or a rotation refuses an empty or
//! short passphrase and `KdfCost::new` refuses a cost below OWASP's minimum, unless
//! the loudly named insecure options are used; a store made earlier with a short
//! passphrase still opens.

mod common;
use common::*;
use vaultstore::{Error, KdfCost, MasterKey, VaultStore};

const CHEAP: KdfCost = KdfCost::insecure_for_tests(64, 1, 1);

fn assert_refused(result: vaultstore::Result<VaultStore>, field: &str) {
    let err = result.map(drop).expect_err("refused");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(err.field(), Some(field), "{err}");
}

#[test]
fn a_new_store_refuses_an_empty_or_short_passphrase() {
    for weak in ["", "short", "eleven char"] {
        let dir = tempfile::tempdir().expect("dir");
        let open = VaultStore::builder(dir.path())
            .kdf_cost(CHEAP)
            .passphrase(secret(weak))
            .open();
        assert_refused(open, "passphrase");
        assert!(
            !dir.path().join("HEADER").exists(),
            "no store is made with {weak:?}"
        );
    }
}

#[test]
fn allow_weak_passphrase_accepts_one_and_the_store_reopens_without_it() {
    let dir = tempfile::tempdir().expect("dir");
    let id = {
        let store = VaultStore::builder(dir.path())
            .kdf_cost(CHEAP)
            .allow_weak_passphrase()
            .passphrase(secret("pw"))
            .open()
            .expect("explicitly allowed");
        vault(&store, "v").id
    };
    let store = VaultStore::builder(dir.path())
        .passphrase(secret("pw"))
        .open()
        .expect("an existing store opens with its passphrase");
    assert!(store.get_vault(&id).is_ok());
}

#[test]
fn rotating_to_a_short_passphrase_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let store = VaultStore::builder(dir.path())
        .key(MasterKey::from_bytes(KEY))
        .kdf_cost(CHEAP)
        .open()
        .expect("open");
    let err = store
        .rotate_to_passphrase(secret(""))
        .expect_err("empty passphrase");
    assert_eq!(err.field(), Some("passphrase"), "{err}");
    drop(store);
    // Nothing changed: the old key still opens the store.
    open(&dir);
}

#[test]
fn costs_below_owasps_minimum_are_refused() {
    for (m, t, p) in [(19_455, 2, 1), (47_103, 1, 1), (1024, 4, 1), (8, 1, 1)] {
        let err = KdfCost::new(m, t, p).expect_err("too cheap");
        assert_eq!(err.field(), Some("kdf_cost"), "{err}");
    }
    assert_eq!(
        KdfCost::new(19 * 1024, 2, 1).expect("OWASP's"),
        KdfCost::default()
    );
    assert!(KdfCost::new(64 * 1024, 3, 4).is_ok());
}

#[test]
fn a_cost_above_the_memory_limit_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("dir");
    let cost = KdfCost::new(64 * 1024, 2, 1).expect("cost");
    let open = VaultStore::builder(dir.path())
        .kdf_cost(cost)
        .max_kdf_memory_kib(32 * 1024)
        .passphrase(secret("a long enough passphrase"))
        .open();
    assert_refused(open, "kdf_cost");
}
