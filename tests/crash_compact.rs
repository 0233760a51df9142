//! Guards compaction against real crashes: a child process (this test binary, re-run)
//! compacts the store over and over; the parent SIGKILLs it at a random moment, and the
//! store must then open with its key holding every live vault and token, no deleted
//! one, and verify clean, whichever step the kill cut (copy, marker, swap, removal).
//!
//! `VAULTSTORE_CRASH_CYCLES=N` runs N cycles (default 25).

mod common_robust;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common_robust::*;
use rand::Rng;
use vaultstore::{Error, VaultStore};

const TEST: &str = "a_killed_compaction_leaves_an_openable_store";

fn url(n: usize) -> String {
    format!("https://s{n}.example/mcp")
}

fn token(n: usize) -> String {
    format!("fake-token-{n}")
}

#[test]
fn a_killed_compaction_leaves_an_openable_store() {
    if child_role().is_some() {
        child();
        return;
    }
    let cycles: usize = std::env::var("VAULTSTORE_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let dir = tempfile::tempdir().expect("tempdir");
    let store_dir = dir.path().join("store");
    let mut live: Vec<(String, usize)> = Vec::new();
    let mut deleted = Vec::new();
    {
        let store = open(&store_dir);
        for n in 0..20 {
            let v = create_vault(&store, &format!("v{n}"), &[(&url(n), &token(n))]);
            if n % 2 == 0 {
                store.delete_vault(&v.id).expect("delete");
                deleted.push(v.id);
            } else {
                live.push((v.id, n));
            }
        }
    }
    let mut rng = rand::thread_rng();
    let mut interrupted = 0;
    for cycle in 0..cycles {
        let env = [("COMPACT_STORE", store_dir.display().to_string())];
        let mut child = spawn_child(TEST, "compact", &env);
        let lines = child_lines(&mut child);
        let ready = lines.recv_timeout(Duration::from_secs(120));
        assert_eq!(ready.as_deref(), Ok("ready"), "cycle {cycle}: never ready");
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..250)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        interrupted += usize::from(has_leftovers(&store_dir));

        let store = open(&store_dir);
        for (id, n) in &live {
            let found = bearer(&store, id, &url(*n)).expect("lookup");
            assert_eq!(found, Some(token(*n)), "cycle {cycle}: {id} lost");
        }
        for id in &deleted {
            assert!(matches!(store.get_vault(id), Err(Error::NotFound { .. })));
        }
        assert!(
            problems(&store).is_empty(),
            "cycle {cycle}: {:?}",
            problems(&store)
        );
        // A change between kills, so each compaction copies something new.
        let n = 100 + cycle;
        let v = create_vault(&store, &format!("c{cycle}"), &[(&url(n), &token(n))]);
        live.push((v.id, n));
    }
    eprintln!("compaction crash test: {cycles} kills, {interrupted} left a compaction to recover");
}

fn has_leftovers(dir: &Path) -> bool {
    ["COMPACTING", "data.compact", "data.old"]
        .iter()
        .any(|name| dir.join(name).exists())
}

/// The child: compacts until killed.
fn child() {
    let dir = PathBuf::from(std::env::var("COMPACT_STORE").expect("child environment"));
    say("ready");
    loop {
        VaultStore::builder(&dir)
            .key(key())
            .compact()
            .expect("compact");
        say("compacted");
    }
}
