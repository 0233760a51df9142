//! The store on PostgreSQL against raw SQL running the same statements (issue 11,
//! item 9): each read beside the backend's own statements sent the same way on one
//! connection, with the same MAC checks, decodes and AES-GCM-SIV open, in alternating
//! batches in one run (median ratios); then calls per second from 1, 4 and 16 threads
//! and from 2 and 4 processes on the same schema.
//!
//! The server is a throwaway one (`tests/pg_support`: initdb and pg_ctl, as `nobody`
//! under root) or `VAULTSTORE_TEST_PG`, in a fresh schema dropped at the end.
//! `VAULTSTORE_BENCH_VAULTS` sets the fill (default 10000), `VAULTSTORE_BENCH_SECS`
//! each throughput run (default 3; 0 skips them).
//!
//! `cargo bench -p vaultstore-benches --bench postgres`; the tables also go to
//! `target/bench-results/postgres.md`. On a machine busy with other work, running the
//! bench binary under `taskset -c 1` (it and the server it starts on one CPU) steadies
//! the ratios: unpinned, where the scheduler puts each connection's server process
//! moves them by tens of percent either way.

mod common;
mod pg;
#[path = "../tests/pg_support/mod.rs"]
mod pg_support;

use std::fmt::Write as _;

use common::median_pair;
use common::table::{table, Row};
use pg::fill::Filled;
use pg::load::{self, Op, StoreLoad};
use pg::pick;
use pg::raw::RawPg;
use vaultstore::{ListParams, Session, VaultStore};

/// The goal for reads on PostgreSQL.
const GOAL: Option<f64> = Some(1.3);

fn main() {
    if let Ok(spec) = std::env::var(load::WORKER) {
        load::worker(&spec);
        return;
    }
    if !common::benchmarking() {
        return;
    }
    let n = env_or("VAULTSTORE_BENCH_VAULTS", 10_000usize);
    let secs = env_or("VAULTSTORE_BENCH_SECS", 3.0f64);
    let conninfo = pg_support::conninfo();
    let schema = pg_support::fresh_schema("bench");
    let mut report = format!(
        "\n## PostgreSQL: {n} vaults (1 credential each)\n\nload average at start: {}\n",
        load_average()
    );

    let store = pg::open(&conninfo, &schema, 16);
    let filled = pg::fill::fill(&store, n);
    let _ = writeln!(
        report,
        "filled in {:.1} s through the store from 8 threads (each create one \
         SERIALIZABLE transaction, its COMMIT durable)\n",
        filled.secs
    );
    let mut raw = RawPg::connect(&conninfo, &schema);
    let mut rows = Vec::new();
    reads(&store, &mut raw, &filled, &mut rows);
    lists(&store, &mut raw, &filled, &mut rows);
    table(&rows, &mut report);
    report.push_str(ROUND_TRIPS);
    print!("{report}");

    // `VAULTSTORE_BENCH_SECS=0`: the comparison alone.
    if secs > 0.0 {
        let section = throughput(&store, &conninfo, &schema, &filled, secs);
        print!("{section}");
        report.push_str(&section);
    }
    let _ = writeln!(report, "\nload average at end: {}", load_average());

    drop(store);
    raw.drop_schema(&schema);
    let file = common::results_dir().join("postgres.md");
    std::fs::write(&file, &report).expect("write the report");
    println!("\n(written to {})", file.display());
}

const ROUND_TRIPS: &str = "\nRound trips per call: the raw baselines send the \
backend's statements as it does (`query_typed`: parse, bind and execute in one round \
trip), so a get is 1, a lookup 2 (token entry, then credential), a page 1. The store's \
pool validates a connection it hands out with an empty query, one more round trip, \
unless a statement succeeded on it in the last 50 ms (a busy caller's case). The two \
experiment rows measure that round trip, and what preparing the statement once \
(no parse and plan on the server per call) would save.\n";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `/proc/loadavg`'s first three numbers: other work on a shared machine.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Batches of each pair, and calls per batch: a call is tens of microseconds.
const BATCHES: usize = 61;
const CALLS: usize = 200;

fn reads(store: &VaultStore, raw: &mut RawPg, filled: &Filled, rows: &mut Vec<Row>) {
    let items = &filled.items;
    let item = |i: usize| &items[pick(i, items.len())];
    let cipher = common::raw::cipher();
    let raw = std::cell::RefCell::new(raw);
    let mut pair = |op, base, goal, store_call: &dyn Fn(usize), raw_call: &dyn Fn(usize)| {
        let (op_ns, base_ns) = median_pair(BATCHES, CALLS, store_call, raw_call);
        rows.push(Row {
            op,
            op_ns,
            base,
            base_ns,
            goal,
        });
    };
    pair(
        "get vault",
        "same SELECT + MAC check + decode",
        GOAL,
        &|i| {
            store.get_vault(&item(i).vault_id).expect("get vault");
        },
        &|i| raw.borrow_mut().get_vault(&cipher, &item(i).vault_id),
    );
    pair(
        "raw get vault + empty query (experiment)",
        "raw get vault",
        None,
        &|i| {
            raw.borrow_mut()
                .get_vault_after_check(&cipher, &item(i).vault_id)
        },
        &|i| raw.borrow_mut().get_vault(&cipher, &item(i).vault_id),
    );
    pair(
        "raw get vault, prepared once (experiment)",
        "raw get vault (`query_typed`, unnamed)",
        None,
        &|i| {
            raw.borrow_mut()
                .get_vault_prepared(&cipher, &item(i).vault_id)
        },
        &|i| raw.borrow_mut().get_vault(&cipher, &item(i).vault_id),
    );
    pair(
        "get credential",
        "same SELECT + MAC check + decode",
        GOAL,
        &|i| {
            let item = item(i);
            store
                .get_credential(&item.vault_id, &item.credential_id)
                .expect("get credential");
        },
        &|i| {
            let item = item(i);
            raw.borrow_mut()
                .get_credential(&cipher, &item.vault_id, &item.credential_id)
        },
    );
    // Sessions made beforehand, over the vaults the lookups touch.
    let sessions: Vec<(Session, String)> = (0..items.len().min(4096))
        .map(|k| {
            let item = item(k);
            let session = store.session(&[&item.vault_id]).expect("session");
            (session, common::url(item.i))
        })
        .collect();
    pair(
        "session token lookup",
        "token SELECT + credential SELECT + MAC check + decodes + AES-GCM-SIV open",
        GOAL,
        &|i| {
            let (session, url) = &sessions[i % sessions.len()];
            session.bearer_token(url).expect("lookup").expect("a token");
        },
        &|i| {
            let item = item(i % sessions.len());
            raw.borrow_mut()
                .session_lookup(&cipher, &item.vault_id, &common::url(item.i));
        },
    );
}

fn lists(store: &VaultStore, raw: &mut RawPg, filled: &Filled, rows: &mut Vec<Row>) {
    let items = &filled.items;
    let n = items.len();
    let cipher = common::raw::cipher();
    const BASE: &str = "same SELECT (21 rows) + 21 × (MAC check + decode)";
    let mut page_row =
        |op, params: &dyn Fn(usize) -> ListParams, below: &dyn Fn(usize) -> Option<String>| {
            let (op_ns, base_ns) = median_pair(
                BATCHES,
                CALLS / 4,
                |i| {
                    let page = store.list_vaults(&params(i)).expect("list");
                    assert_eq!(page.data.len(), 20);
                },
                |i| raw.page(&cipher, below(i).as_deref()),
            );
            rows.push(Row {
                op,
                op_ns,
                base: BASE,
                base_ns,
                goal: GOAL,
            });
        };
    page_row(
        "list page of 20, first",
        &|_| ListParams::default(),
        &|_| None,
    );
    // Cursors anywhere in the list, at least a page from the oldest.
    let depth = |i: usize| 21 + pick(i, n - 21);
    page_row(
        "list page of 20, random cursor",
        &|i| ListParams {
            after_id: Some(items[depth(i)].vault_id.clone()),
            ..ListParams::default()
        },
        &|i| Some(items[depth(i)].vault_id.clone()),
    );
}

/// Slices of each in-process throughput figure.
const SLICES: usize = 5;

/// Calls per second of lookups and gets, from threads and from processes.
fn throughput(
    store: &VaultStore,
    conninfo: &str,
    schema: &str,
    filled: &Filled,
    secs: f64,
) -> String {
    let targets = load::targets(&filled.items);
    let mut out = format!(
        "\n### Throughput ({secs} s per figure; in threads, the median of {SLICES} slices \
         alternating store and raw; {} vaults touched at random; the store's pool has 16 \
         connections, the raw baseline one connection per thread)\n\n\
         | operation | clients | store calls/s | raw calls/s (same statements) | store / raw |\n\
         |---|---|---:|---:|---:|\n",
        targets.len()
    );
    for op in [Op::Lookup, Op::Get] {
        let load = StoreLoad::new(store, &targets, op);
        for threads in [1, 4, 16] {
            load.warm(threads);
            // Alternating slices, so a burst of other work hits both alike.
            let slice = secs / SLICES as f64;
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for _ in 0..SLICES {
                ours.push(load.rate(threads, slice));
                theirs.push(load::raw_rate(
                    conninfo, schema, &targets, op, threads, slice,
                ));
            }
            let (ours, theirs) = (common::median(ours), common::median(theirs));
            let _ = writeln!(
                out,
                "| {} | {threads} thread{} | {ours:.0} | {theirs:.0} | {:.2} |",
                op.name(),
                if threads == 1 { "" } else { "s" },
                ours / theirs
            );
        }
        for processes in [2, 4] {
            let threads = 4;
            let ours = load::process_rate(conninfo, schema, &targets, op, processes, threads, secs);
            let _ = writeln!(
                out,
                "| {} | {processes} processes × {threads} threads | {ours:.0} | | |",
                op.name()
            );
        }
    }
    out
}
