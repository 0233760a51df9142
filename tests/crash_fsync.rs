//! Guards that a durable write fsyncs the storage log before it returns, and that a
//! `Durability::Periodic` write does not. A killed process cannot show a missing fsync
//! (the page cache survives it), so the crash tests cannot; this one counts fsyncs.

mod common_robust;

use std::time::Duration;

use common_robust::*;
use vaultstore::{Durability, VaultStore};

const A: &str = "https://a.example/mcp";

#[test]
fn an_immediate_write_fsyncs_the_log_before_returning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let before = store.stats().log_fsyncs;
    let vault = create_vault(&store, "main", &[(A, "fake-token-a")]);
    let after_create = store.stats().log_fsyncs;
    assert!(
        after_create > before,
        "create_vault returned without an fsync"
    );
    store.archive_vault(&vault.id).expect("archive");
    assert!(
        store.stats().log_fsyncs > after_create,
        "archive returned without an fsync"
    );
}

#[test]
fn a_periodic_write_does_not_fsync_until_the_interval_or_a_flush() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = VaultStore::builder(dir.path())
        .key(key())
        .durability(Durability::Periodic)
        .flush_interval(Duration::from_secs(3600))
        .open()
        .expect("open");
    let before = store.stats().log_fsyncs;
    create_vault(&store, "main", &[(A, "fake-token-a")]);
    assert_eq!(store.stats().log_fsyncs, before);
    store.flush().expect("flush");
    assert!(store.stats().log_fsyncs > before, "flush did not fsync");
}
