//! Guards that sessions resolving while the key is rotated over and over always get
//! their token: a lookup never catches a token sealed under a key the store has just
//! forgotten.

mod common_robust;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common_robust::*;
use vaultstore::MasterKey;

const ROTATIONS: u32 = 150;
const RESOLVERS: usize = 3;

#[test]
fn lookups_during_rotations_always_resolve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let urls: Vec<String> = (0..8)
        .map(|i| format!("https://s{i}.example/mcp"))
        .collect();
    let creds: Vec<(&str, &str)> = urls.iter().map(|u| (u.as_str(), u.as_str())).collect();
    let vault = create_vault(&store, "main", &creds).id;
    let stop = Arc::new(AtomicBool::new(false));
    let resolvers: Vec<_> = (0..RESOLVERS)
        .map(|_| {
            let (store, vault, urls, stop) = (
                store.clone(),
                vault.clone(),
                urls.clone(),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                let session = store.session(&[&vault]).expect("session");
                let mut failures = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    for url in &urls {
                        match session.bearer_token(url) {
                            Ok(Some(_)) => {}
                            other => failures.push(format!("{url}: {other:?}")),
                        }
                    }
                }
                failures
            })
        })
        .collect();
    for i in 0..ROTATIONS {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        store
            .rotate_key(MasterKey::from_bytes(bytes))
            .expect("rotate");
    }
    stop.store(true, Ordering::Relaxed);
    let failures: Vec<String> = resolvers
        .into_iter()
        .flat_map(|r| r.join().expect("resolver thread"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed lookups: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
}
