//! Guards the open against edited passphrase parameters: the Argon2 cost stored in the
//! key record is bounded before anything is derived, so a huge cost is `Corrupted` at
//! once instead of hanging the open or aborting the process; a lowered cost only
//! derives another key, which the key check refuses (`WrongKey`).

mod common_robust;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use common_robust::*;
use vaultstore::secrecy::SecretString;
use vaultstore::{Error, KdfCost, VaultStore};

const PASSPHRASE: &str = "a long enough passphrase";
const MEMORY_KIB: u32 = 1000;
const ITERATIONS: u32 = 3;

/// Cheap, with a memory cost whose encoding is easy to find in the key record.
fn cost() -> KdfCost {
    KdfCost::insecure_for_tests(MEMORY_KIB, ITERATIONS, 1)
}

fn builder(dir: &Path) -> vaultstore::Builder {
    VaultStore::builder(dir)
        .kdf_cost(cost())
        .passphrase(SecretString::from(PASSPHRASE.to_owned()))
}

/// bincode 2's standard integer encoding (repeated here on purpose: a change to how
/// the key record is encoded should be seen by this test).
fn varint(v: u32) -> Vec<u8> {
    match v {
        0..=250 => vec![v as u8],
        251..=0xFFFF => [&[251u8][..], &(v as u16).to_le_bytes()].concat(),
        _ => [&[252u8][..], &v.to_le_bytes()].concat(),
    }
}

/// `Some` then memory, iterations, lanes: the stored cost, just before the salt.
fn params(memory: u32, iterations: u32, lanes: u32) -> Vec<u8> {
    [vec![1], varint(memory), varint(iterations), varint(lanes)].concat()
}

/// A passphrase store whose stored cost is then replaced by `(memory, iterations, lanes)`.
fn store_with_params(memory: u32, iterations: u32, lanes: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(builder(dir.path()).open().expect("create"));
    edit_raw(dir.path(), |db| {
        let meta = tree(db, "meta");
        let record = get(&meta, b"keys");
        let from = params(MEMORY_KIB, ITERATIONS, 1);
        let edited = replace_first(&record, &from, &params(memory, iterations, lanes));
        put(&meta, b"keys", edited);
    });
    dir
}

/// Opens with the passphrase in a thread: a hang fails the test instead of stalling it.
fn open_within_a_minute(dir: &Path, max_kdf_memory_kib: Option<u32>) -> Result<(), Error> {
    let (send, receive) = mpsc::channel();
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        let mut b = builder(&dir);
        if let Some(max) = max_kdf_memory_kib {
            // The cost for new keys must fit the limit too; this store has its own.
            b = b
                .max_kdf_memory_kib(max)
                .kdf_cost(KdfCost::insecure_for_tests(8, 1, 1));
        }
        let _ = send.send(b.open().map(drop));
    });
    receive
        .recv_timeout(Duration::from_secs(60))
        .expect("the open hung on the stored passphrase parameters")
}

fn assert_corrupted(result: Result<(), Error>, what: &str) {
    let err = result.expect_err(what);
    assert!(matches!(err, Error::Corrupted { .. }), "{what}: {err:?}");
    assert!(
        err.to_string().contains("passphrase parameters"),
        "{what}: {err}"
    );
}

#[test]
fn the_untouched_cost_opens() {
    let dir = store_with_params(MEMORY_KIB, ITERATIONS, 1);
    open_within_a_minute(dir.path(), None).expect("unchanged parameters open");
}

#[test]
fn endless_iterations_are_corrupted_not_a_hang() {
    let dir = store_with_params(MEMORY_KIB, u32::MAX, 1);
    assert_corrupted(
        open_within_a_minute(dir.path(), None),
        "u32::MAX iterations",
    );
    let dir = store_with_params(MEMORY_KIB, 65, 1);
    assert_corrupted(open_within_a_minute(dir.path(), None), "65 iterations");
}

#[test]
fn huge_memory_is_corrupted_not_an_abort() {
    let dir = store_with_params(0x0fff_ffff, ITERATIONS, 1);
    assert_corrupted(open_within_a_minute(dir.path(), None), "256 GiB");
    // Above the default limit (1 GiB), below the absolute one (4 GiB).
    let dir = store_with_params(2 << 20, ITERATIONS, 1);
    assert_corrupted(open_within_a_minute(dir.path(), None), "2 GiB");
}

#[test]
fn a_builder_limit_below_the_stored_memory_refuses_it() {
    let dir = store_with_params(MEMORY_KIB, ITERATIONS, 1);
    assert_corrupted(
        open_within_a_minute(dir.path(), Some(MEMORY_KIB - 1)),
        "a lower builder limit",
    );
    open_within_a_minute(dir.path(), Some(MEMORY_KIB)).expect("at the limit");
}

#[test]
fn too_many_lanes_are_corrupted() {
    let dir = store_with_params(MEMORY_KIB, ITERATIONS, 65);
    assert_corrupted(open_within_a_minute(dir.path(), None), "65 lanes");
}

#[test]
fn a_lowered_cost_only_derives_a_wrong_key() {
    for (memory, iterations) in [(MEMORY_KIB, 1), (64, ITERATIONS), (8, 1)] {
        let dir = store_with_params(memory, iterations, 1);
        let err = open_within_a_minute(dir.path(), None).expect_err("a lowered cost");
        assert!(
            matches!(err, Error::WrongKey),
            "m={memory} t={iterations}: {err:?}"
        );
    }
}
