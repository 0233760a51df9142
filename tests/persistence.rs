//! Guards persistence: everything survives close and reopen, in both durability modes,
//! and ids keep increasing across reopens.

mod common;
use common::*;
use std::time::Duration;
use vaultstore::{Durability, ListParams, MasterKey, VaultStore};

#[test]
fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b, archived_cred);
    {
        let store = open(&dir);
        a = vault_with(&store, "a", "https://a.example/mcp", "token-a");
        b = vault(&store, "b");
        archived_cred = store
            .add_credential(&a.id, credential("https://old.example/", "t"))
            .expect("add");
        store
            .archive_credential(&a.id, &archived_cred.id)
            .expect("archive");
        store.archive_vault(&b.id).expect("archive");
        store
            .account("acme")
            .expect("account")
            .create_vault(vaultstore::CreateVault::new(
                "acme-vault",
                vec![credential("https://acme.example/", "acme")],
            ))
            .expect("create");
    }
    let store = open(&dir);
    assert_eq!(store.get_vault(&a.id).expect("a").display_name, "a");
    assert_eq!(
        store.get_vault(&b.id).expect("b").status,
        vaultstore::Status::Archived
    );
    assert_eq!(
        store
            .get_credential(&a.id, &archived_cred.id)
            .expect("c")
            .status,
        vaultstore::Status::Archived
    );
    assert_eq!(
        resolve(&store, &[&a.id], "https://a.example/mcp").as_deref(),
        Some("token-a")
    );
    let all = store
        .list_vaults(&ListParams {
            include_archived: true,
            ..Default::default()
        })
        .expect("list");
    assert_eq!(ids(&all.data), vec![b.id.clone(), a.id.clone()]);
    assert_eq!(
        store
            .account("acme")
            .expect("acme")
            .list_vaults(&ListParams::default())
            .expect("l")
            .data
            .len(),
        1
    );
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);

    let c = vault(&store, "c");
    assert!(c.id[6..] > b.id[6..], "ids keep increasing after a reopen");
}

#[test]
fn periodic_durability_flushes_on_its_own_and_on_close() {
    let dir = tempfile::tempdir().expect("dir");
    let id;
    {
        let store = VaultStore::builder(dir.path())
            .key(MasterKey::from_bytes(KEY))
            .durability(Durability::Periodic)
            .flush_interval(Duration::from_millis(20))
            .open()
            .expect("open");
        let before = store.stats().log_fsyncs;
        id = vault(&store, "p").id;
        assert_eq!(
            store.stats().log_fsyncs,
            before,
            "a periodic write returns before any fsync"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while store.stats().log_fsyncs == before {
            assert!(
                std::time::Instant::now() < deadline,
                "the flusher never ran"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert!(open(&dir).get_vault(&id).is_ok());
}

#[test]
fn immediate_durability_fsyncs_before_returning() {
    let (_dir, store) = store();
    let before = store.stats().log_fsyncs;
    vault(&store, "v");
    assert!(
        store.stats().log_fsyncs > before,
        "the create was fsynced before it returned"
    );
    let before = store.stats().log_fsyncs;
    store.get_vault(&vault(&store, "w").id).expect("get");
    let after_write = store.stats().log_fsyncs;
    store.list_vaults(&ListParams::default()).expect("list");
    assert_eq!(store.stats().log_fsyncs, after_write, "reads do not fsync");
    assert!(after_write > before);
}
