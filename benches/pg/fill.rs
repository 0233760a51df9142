//! A schema filled with `n` vaults of one credential each, written through the store
//! from several threads: each create is one SERIALIZABLE transaction whose COMMIT
//! waits for the WAL flush, so one thread would spend most of the fill waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use vaultstore::VaultStore;

use crate::common;

/// Threads writing the fill.
const WRITERS: usize = 8;

/// One filled vault.
pub struct Item {
    pub vault_id: String,
    pub credential_id: String,
    /// The `i` of `common::vault_request(i)`: its URL is `common::url(i)`.
    pub i: usize,
}

/// The vaults, oldest (smallest id) first, and how long the fill took.
pub struct Filled {
    pub items: Vec<Item>,
    pub secs: f64,
}

pub fn fill(store: &VaultStore, n: usize) -> Filled {
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let items = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|scope| {
        for _ in 0..WRITERS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let mut vault = store
                    .create_vault(common::vault_request(i))
                    .expect("create");
                let credentials = vault
                    .credentials
                    .take()
                    .expect("create answers credentials");
                let item = Item {
                    vault_id: vault.id,
                    credential_id: credentials[0].id.clone(),
                    i,
                };
                items.lock().expect("items").push(item);
            });
        }
    });
    let mut items = items.into_inner().expect("items");
    // Ids sort by creation, as pages do.
    items.sort_by(|a, b| a.vault_id.cmp(&b.vault_id));
    Filled {
        items,
        secs: started.elapsed().as_secs_f64(),
    }
}
