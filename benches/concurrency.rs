//! Durable creates from 1, 2, 4 and 8 threads on clones of one store: throughput, and
//! log fsyncs per create (concurrent writers share one flush + fsync).
//!
//! `cargo bench -p vaultstore-benches --bench concurrency`; the table also goes to
//! `target/bench-results/`.

mod common;

use std::fmt::Write as _;
use std::time::Instant;

use vaultstore::Durability;

/// Creates per run, divisible by every thread count.
const CREATES: usize = 480;
const ROUNDS: usize = 3;

fn main() {
    if !common::benchmarking() {
        return;
    }
    let mut out = String::from(
        "| writers | creates/s (median of 3) | × 1 writer | log fsyncs per create |\n\
         |---:|---:|---:|---:|\n",
    );
    let mut single = None;
    for threads in [1, 2, 4, 8] {
        let mut rates = Vec::new();
        let mut fsyncs = Vec::new();
        for round in 0..ROUNDS {
            let (rate, per_create) = run(threads, round);
            rates.push(rate);
            fsyncs.push(per_create);
        }
        let rate = common::median(rates);
        let single = *single.get_or_insert(rate);
        let _ = writeln!(
            out,
            "| {threads} | {rate:.0} | {:.2} | {:.2} |",
            rate / single,
            common::median(fsyncs)
        );
    }
    print!("{out}");
    let file = common::results_dir().join("concurrency.md");
    std::fs::write(&file, &out).expect("write the report");
    println!("\n(written to {})", file.display());
}

/// One run on a fresh store: (creates per second, log fsyncs per create).
fn run(threads: usize, round: usize) -> (f64, f64) {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = common::open(&temp.path().join("store"), Durability::Immediate);
    let fsyncs_before = store.stats().log_fsyncs;
    let per_thread = CREATES / threads;
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..per_thread {
                    let n = round * CREATES + t * per_thread + i;
                    store
                        .create_vault(common::vault_request(n))
                        .expect("create");
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let fsyncs = store.stats().log_fsyncs - fsyncs_before;
    (CREATES as f64 / secs, fsyncs as f64 / CREATES as f64)
}
