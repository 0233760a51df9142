//! Setup shared by the benches: filling a store, timing, and the process's memory.

// Each bench binary uses a different part of this module.
#![allow(dead_code)]

pub mod raw;
pub mod table;

use std::path::{Path, PathBuf};
use std::time::Instant;

use tempfile::TempDir;
use vaultstore::secrecy::SecretString;
use vaultstore::{CreateCredential, CreateVault, Durability, MasterKey, Protocol, VaultStore};

/// The master key of every bench store: fixed, so a bench can reopen a store.
pub const KEY: [u8; 32] = [7; 32];

/// How many distinct MCP servers the filled vaults point at.
const SERVERS: usize = 50;

/// The URL of vault `i`'s credential.
pub fn url(i: usize) -> String {
    format!("https://mcp.example.com/server/{}", i % SERVERS)
}

/// A token of a typical length (a GitHub token is 40 characters).
pub fn token(i: usize) -> SecretString {
    SecretString::from(format!("ghp_{i:036}"))
}

/// A credential for server `url(i)`.
pub fn credential(i: usize) -> CreateCredential {
    CreateCredential::static_bearer(url(i), Protocol::StreamableHttp, token(i))
}

/// Vault `i`: one credential, one metadata pair; names fall into ten teams, so a name
/// filter on one team matches one vault in ten.
pub fn vault_request(i: usize) -> CreateVault {
    CreateVault::new(format!("team-{}-vault-{i}", i % 10), vec![credential(i)])
        .with_metadata("env", "prod")
}

/// Opens (or creates) the store in `dir` with the bench key.
pub fn open(dir: &Path, durability: Durability) -> VaultStore {
    VaultStore::builder(dir)
        .key(MasterKey::from_bytes(KEY))
        .durability(durability)
        .open()
        .expect("open the bench store")
}

/// A store directory holding `n` vaults of one credential each.
pub struct Filled {
    /// Holds the directory until the bench ends.
    pub temp: TempDir,
    /// The vault ids, oldest first.
    pub vault_ids: Vec<String>,
    /// The credential of each vault, in the same order.
    pub credential_ids: Vec<String>,
}

impl Filled {
    /// The store directory.
    pub fn dir(&self) -> PathBuf {
        self.temp.path().join("store")
    }

    /// sled's directory inside the store.
    pub fn sled_dir(&self) -> PathBuf {
        self.dir().join("data")
    }
}

/// Fills a new store with `n` vaults (periodic durability for speed, then one flush)
/// and closes it.
pub fn fill(n: usize) -> Filled {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = open(&temp.path().join("store"), Durability::Periodic);
    let mut vault_ids = Vec::with_capacity(n);
    let mut credential_ids = Vec::with_capacity(n);
    for i in 0..n {
        let mut vault = store.create_vault(vault_request(i)).expect("create");
        let credentials = vault
            .credentials
            .take()
            .expect("create answers credentials");
        credential_ids.push(credentials[0].id.clone());
        vault_ids.push(vault.id);
    }
    store.flush().expect("flush");
    drop(store);
    Filled {
        temp,
        vault_ids,
        credential_ids,
    }
}

/// Whether this run is `cargo bench` (which passes `--bench`). `cargo test --benches`
/// does not: the benches then exit at once instead of running for minutes.
pub fn benchmarking() -> bool {
    let asked = std::env::args().any(|arg| arg == "--bench");
    if !asked {
        println!("skipped: run through `cargo bench`");
    }
    asked
}

/// Median nanoseconds per call of `op` and of `base`, timed in alternating batches of
/// `iters` calls so that load from other processes hits both alike. Each call gets a
/// counter that never repeats within the run.
pub fn median_pair(
    batches: usize,
    iters: usize,
    mut op: impl FnMut(usize),
    mut base: impl FnMut(usize),
) -> (f64, f64) {
    let (mut ops, mut bases) = (Vec::new(), Vec::new());
    let mut counter = 0;
    for _ in 0..batches {
        ops.push(time_batch(iters, &mut counter, &mut op));
        bases.push(time_batch(iters, &mut counter, &mut base));
    }
    (median(ops), median(bases))
}

/// Median nanoseconds per call of `op`, over `batches` batches of `iters` calls.
pub fn median_one(batches: usize, iters: usize, mut op: impl FnMut(usize)) -> f64 {
    let mut counter = 0;
    median(
        (0..batches)
            .map(|_| time_batch(iters, &mut counter, &mut op))
            .collect(),
    )
}

fn time_batch(iters: usize, counter: &mut usize, op: &mut impl FnMut(usize)) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        op(*counter);
        *counter += 1;
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

/// The median of `values`.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// This process's resident memory, in KiB (Linux; 0 elsewhere).
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Bytes of all files under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let meta = entry.metadata().expect("metadata");
        total += if meta.is_dir() {
            dir_bytes(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

/// Copies a directory tree (the raw-sled baselines read a copy of the store's data).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Where bench reports go: `target/bench-results/` of the workspace (this crate's
/// manifest is in `benches/`).
pub fn results_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("bench-results");
    std::fs::create_dir_all(&dir).expect("create the results dir");
    dir
}

/// Formats nanoseconds for a table.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}
