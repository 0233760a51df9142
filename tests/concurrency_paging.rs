//! Guards that paging through a list while other threads insert and archive never
//! repeats an item, keeps newest-first order, and never skips an item that existed
//! (and stayed active) throughout.

mod common;
mod common_robust;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::Backend;
use common_robust::*;
use rand::seq::SliceRandom;
use vaultstore::{ListParams, VaultStore};

const PRELOADED: usize = 60;
const PAGE: u32 = 7;

/// One pass from the newest page to the oldest; returns the ids in order.
fn page_through(store: &VaultStore, include_archived: bool) -> Vec<String> {
    let mut params = ListParams {
        limit: Some(PAGE),
        include_archived,
        ..ListParams::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = store.list_vaults(&params).expect("list");
        ids.extend(page.data.iter().map(|v| v.id.clone()));
        if !page.has_more {
            return ids;
        }
        params.after_id = page.last_id;
    }
}

fn paging_during_inserts_and_archives_never_repeats_or_skips(backend: &Backend) {
    let (_place, store) = backend.store();
    let url = "https://a.example/mcp";
    let preloaded: Vec<String> = (0..PRELOADED)
        .map(|i| create_vault(&store, &format!("p{i}"), &[(url, "fake-token")]).id)
        .collect();
    let archived: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    let inserter = {
        let (store, stop) = (store.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) || n < 10 {
                create_vault(&store, &format!("new{n}"), &[(url, "fake-token")]);
                n += 1;
            }
        })
    };
    let archiver = {
        let (store, archived) = (store.clone(), Arc::clone(&archived));
        let mut victims = preloaded.clone();
        victims.shuffle(&mut rand::thread_rng());
        victims.truncate(PRELOADED / 3);
        std::thread::spawn(move || {
            for id in victims {
                // Marked first: from here on the item may leave the active list.
                archived.lock().expect("lock").insert(id.clone());
                store.archive_vault(&id).expect("archive");
            }
        })
    };

    let mut passes = Vec::new();
    while passes.len() < 6 || !archiver.is_finished() {
        passes.push((page_through(&store, false), page_through(&store, true)));
    }
    stop.store(true, Ordering::Relaxed);
    archiver.join().expect("archiver");
    inserter.join().expect("inserter");

    let archived = archived.lock().expect("lock").clone();
    assert!(!archived.is_empty());
    for (active, all) in &passes {
        for (ids, include_archived) in [(active, false), (all, true)] {
            assert!(
                ids.windows(2).all(|w| w[0] > w[1]),
                "repeated or out of order (include_archived={include_archived})"
            );
            let seen: BTreeSet<&String> = ids.iter().collect();
            for id in &preloaded {
                let stayed = include_archived || !archived.contains(id);
                assert!(!stayed || seen.contains(id), "{id} skipped");
            }
        }
    }
}

conformance!(paging_during_inserts_and_archives_never_repeats_or_skips);
