//! vaultstore against securestore, the embedded Rust secrets store in use today: a
//! durable add and a get at 1k, 10k and 100k secrets, side by side in one run.
//!
//! securestore keeps every secret in memory and rewrites its whole JSON file on each
//! save, without fsync; here each add is `set` + `save_as` + an fsync of the file, so
//! both sides are durable. Its iteration counts are capped (a save at 100k secrets
//! takes seconds).
//!
//! `cargo bench -p vaultstore-benches --bench peer`; the table also goes to
//! `target/bench-results/`.

mod common;

use std::fmt::Write as _;
use std::fs::File;

use securestore::{KeySource, SecretsManager};
use vaultstore::{CreateCredential, Durability, Protocol};

fn main() {
    if !common::benchmarking() {
        return;
    }
    let mut out = String::from(
        "| secrets | op | vaultstore | securestore | vaultstore faster by |\n\
         |---:|---|---:|---:|---:|\n",
    );
    for n in [1_000, 10_000, 100_000] {
        let ours = vaultstore_side(n);
        let theirs = securestore_side(n);
        for (op, ours, theirs) in [("durable add", ours.0, theirs.0), ("get", ours.1, theirs.1)] {
            let _ = writeln!(
                out,
                "| {n} | {op} | {} | {} | {:.1} × |",
                common::fmt_ns(ours),
                common::fmt_ns(theirs),
                theirs / ours
            );
        }
        print!("{out}");
    }
    let file = common::results_dir().join("peer.md");
    std::fs::write(&file, &out).expect("write the report");
    println!("\n(written to {})", file.display());
}

/// (durable add, get) medians in ns: add_credential under immediate durability, and a
/// session's token lookup.
fn vaultstore_side(n: usize) -> (f64, f64) {
    let filled = common::fill(n);
    let store = common::open(&filled.dir(), Durability::Immediate);
    let add = common::median_one(11, 10, |i| {
        let vault = &filled.vault_ids[(i * 7919) % n];
        let extra = CreateCredential::static_bearer(
            format!("https://mcp.example.com/extra/{i}"),
            Protocol::Sse,
            common::token(i),
        );
        store.add_credential(vault, extra).expect("add");
    });
    let sessions: Vec<_> = (0..n.min(4096))
        .map(|i| {
            let p = (i * 7919) % n;
            let session = store.session(&[&filled.vault_ids[p]]).expect("session");
            (session, common::url(p))
        })
        .collect();
    let get = common::median_one(31, 2000, |i| {
        let (session, url) = &sessions[i % sessions.len()];
        session.bearer_token(url).expect("lookup").expect("a token");
    });
    (add, get)
}

/// (durable add, get) medians in ns.
fn securestore_side(n: usize) -> (f64, f64) {
    let temp = tempfile::tempdir().expect("temp dir");
    let path = temp.path().join("secrets.json");
    let mut secrets = SecretsManager::new(KeySource::Csprng).expect("new store");
    for i in 0..n {
        secrets.set(&format!("secret-{i}"), format!("ghp_{i:036}"));
    }
    secrets.save_as(&path).expect("save");
    let batches = if n <= 1_000 {
        11
    } else if n <= 10_000 {
        5
    } else {
        3
    };
    let add = common::median_one(batches, 1, |i| {
        secrets.set(&format!("extra-{i}"), format!("ghp_{i:036}"));
        secrets.save_as(&path).expect("save");
        File::open(&path)
            .and_then(|file| file.sync_all())
            .expect("fsync");
    });
    let names: Vec<String> = (0..n.min(4096))
        .map(|i| format!("secret-{}", (i * 7919) % n))
        .collect();
    let get = common::median_one(31, 2000, |i| {
        secrets.get(&names[i % names.len()]).expect("get");
    });
    (add, get)
}
