//! Guards that a store closed (last handle dropped) opens again at once in the same
//! process: sled 0.34 can hold its own file lock a moment after close, which must not
//! surface as an error.

mod common_robust;

use common_robust::*;

const REOPENS: usize = 150;

#[test]
fn close_then_reopen_at_once_always_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for i in 0..REOPENS {
        let opened = vaultstore::VaultStore::builder(dir.path())
            .key(key())
            .durability(vaultstore::Durability::Periodic)
            .open();
        match opened {
            Ok(store) => {
                // Unflushed writes at close keep sled's I/O threads busy as it closes.
                for j in 0..20 {
                    let url = format!("https://s{i}-{j}.example/mcp");
                    create_vault(&store, "v", &[(&url, "fake-token")]);
                }
            }
            Err(e) => failures.push(format!("reopen {i}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {REOPENS}: {:?}",
        failures.len(),
        failures.first()
    );
}
