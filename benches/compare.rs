//! The goals table: each store operation against the raw parts it is made of (sled on a
//! copy of the same data, bincode, AES-256-GCM-SIV), measured in alternating batches in
//! one run, at 10k and 100k vaults (and 1M with `VAULTSTORE_BENCH_SCALE=1m`; only one
//! scale with `VAULTSTORE_BENCH_SCALE=10k` or `=100k`, where the machine is too slow
//! or too loaded for both). Format 2: every record read checks the record's MAC (an
//! AES-GCM-SIV open of an empty plaintext), in the store and in its baseline alike.
//!
//! `cargo bench -p vaultstore-benches --bench compare`; the tables also go to
//! `target/bench-results/`.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use common::raw::{self, RawSled};
use common::table::{table, Row};
use common::{fmt_ns, median, median_pair, Filled};
use vaultstore::{
    CreateCredential, Durability, ListParams, MasterKey, Protocol, Session, VaultStore,
};

fn main() {
    if let Some(dir) = std::env::var_os(RSS_CHILD) {
        rss_child(Path::new(&dir));
        return;
    }
    if let Some(dir) = std::env::var_os(RSS_RAW_CHILD) {
        rss_raw_child(Path::new(&dir));
        return;
    }
    if let Some(dir) = std::env::var_os(FILL_DIR) {
        fill_into(Path::new(&dir));
        return;
    }
    if let Some(dir) = std::env::var_os(PROFILE_DIR) {
        profile(Path::new(&dir));
        return;
    }
    if !common::benchmarking() {
        return;
    }
    let scales: Vec<usize> = match std::env::var("VAULTSTORE_BENCH_SCALE").as_deref() {
        Ok("10k") => vec![10_000],
        Ok("100k") => vec![100_000],
        Ok("1m") => vec![10_000, 100_000, 1_000_000],
        _ => vec![10_000, 100_000],
    };
    let mut report = String::new();
    let mut all = Vec::new();
    for &n in &scales {
        let rows = run_scale(n, &mut report);
        all.push((n, rows));
    }
    growth_table(&all, &mut report);
    let file = common::results_dir().join("compare.md");
    std::fs::write(&file, &report).expect("write the report");
    println!("\n(written to {})", file.display());
}

/// Spreads call `i` over the `n` items, in an order unrelated to creation.
fn pick(i: usize, n: usize) -> usize {
    (i.wrapping_mul(2_654_435_761)) % n
}

fn run_scale(n: usize, report: &mut String) -> Vec<Row> {
    let started = Instant::now();
    let filled = common::fill(n);
    let fill_secs = started.elapsed().as_secs_f64();
    let store_bytes = common::dir_bytes(&filled.sled_dir());
    let raw_dir = filled.temp.path().join("raw");
    common::copy_dir(&filled.sled_dir(), &raw_dir);

    let mut rows = Vec::new();
    let store = common::open(&filled.dir(), Durability::Periodic);
    let sled = RawSled::open(&raw_dir);
    reads(&store, &sled, &filled, &mut rows);
    lists(&store, &sled, &filled, &mut rows);
    create_periodic(&store, &sled, n, &mut rows);
    drop((store, sled));

    opens(&filled, &raw_dir, &mut rows);

    let store = common::open(&filled.dir(), Durability::Immediate);
    let sled = RawSled::open(&raw_dir);
    durable_writes(&store, &sled, &filled, &mut rows);
    rotation(&store, &sled, &mut rows);
    drop((store, sled));

    let (rss_open, rss_list) = rss_of_child(RSS_CHILD, &filled.dir());
    let (raw_open, raw_list) = rss_of_child(RSS_RAW_CHILD, &raw_dir);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let mut section = String::new();
    let _ = writeln!(
        section,
        "\n## {n} vaults (1 credential each)\n\nfilled in {fill_secs:.1} s; on disk {:.1} MiB \
         = {} bytes per vault with its credential\n\nRSS (fresh process, 32 MiB cache): \
         store after open {:.1} MiB, after listing every vault {:.1} MiB; raw sled on the \
         same data after open {:.1} MiB, after reading every vault record {:.1} MiB\n",
        store_bytes as f64 / 1048576.0,
        store_bytes / n as u64,
        mib(rss_open),
        mib(rss_list),
        mib(raw_open),
        mib(raw_list),
    );
    table(&rows, &mut section);
    print!("{section}");
    report.push_str(&section);
    rows
}

/// Random positions among the `n` vaults: the items the read benches touch.
fn sample(n: usize) -> Vec<usize> {
    (0..n.min(65_536)).map(|i| pick(i, n)).collect()
}

fn reads(store: &VaultStore, sled: &RawSled, filled: &Filled, rows: &mut Vec<Row>) {
    let n = filled.vault_ids.len();
    let picks = sample(n);
    let ids = |i: usize| &filled.vault_ids[picks[i % picks.len()]];
    let creds = |i: usize| &filled.credential_ids[picks[i % picks.len()]];
    let vault_keys: Vec<Vec<u8>> = picks
        .iter()
        .map(|&p| raw::vault_key(&filled.vault_ids[p]))
        .collect();
    let cipher = raw::cipher();
    let (op_ns, base_ns) = median_pair(
        31,
        2000,
        |i| {
            store.get_vault(ids(i)).expect("get vault");
        },
        |i| {
            let key = &vault_keys[i % picks.len()];
            let bytes = sled.vaults.get(key).expect("get");
            raw::decode_signed::<raw::VaultRecord>(&cipher, &bytes.expect("present"), key);
        },
    );
    rows.push(Row {
        op: "get vault",
        op_ns,
        base: GET_BASE,
        base_ns,
        goal: Some(1.5),
    });

    let cred_keys: Vec<Vec<u8>> = picks
        .iter()
        .map(|&p| raw::credential_key(&filled.vault_ids[p], &filled.credential_ids[p]))
        .collect();
    let (op_ns, base_ns) = median_pair(
        31,
        2000,
        |i| {
            store
                .get_credential(ids(i), creds(i))
                .expect("get credential");
        },
        |i| {
            let key = &cred_keys[i % picks.len()];
            let bytes = sled.credentials.get(key).expect("get");
            raw::decode_signed::<raw::CredentialRecord>(&cipher, &bytes.expect("present"), key);
        },
    );
    rows.push(Row {
        op: "get credential",
        op_ns,
        base: GET_BASE,
        base_ns,
        goal: Some(1.5),
    });

    let sessions: Vec<(Session, String)> = picks
        .iter()
        .map(|&p| {
            let session = store.session(&[&filled.vault_ids[p]]).expect("session");
            (session, common::url(p))
        })
        .collect();
    // What the store reads, raw: the entry's key is precomputed (the session keeps URLs
    // in normal form); the credential's key, the MAC's and the token's associated data
    // are built from what is read, as the store must.
    let token_keys: Vec<(&str, Vec<u8>, Vec<u8>, String)> = picks
        .iter()
        .map(|&p| {
            let (vault, url) = (&filled.vault_ids[p], common::url(p));
            (
                vault.as_str(),
                raw::vault_key(vault),
                raw::token_key(vault, &url),
                url,
            )
        })
        .collect();
    let (op_ns, base_ns) = median_pair(
        31,
        2000,
        |i| {
            let (session, url) = &sessions[i % picks.len()];
            session.bearer_token(url).expect("lookup").expect("a token");
        },
        |i| {
            let (vault, vault_key, token_key, url) = &token_keys[i % picks.len()];
            raw::session_lookup(sled, &cipher, vault, vault_key, token_key, url);
        },
    );
    rows.push(Row {
        op: "session token lookup",
        op_ns,
        base: LOOKUP_BASE,
        base_ns,
        goal: Some(1.5),
    });
}

/// Baseline of a get: what the store does to a record it reads.
const GET_BASE: &str = "sled get + MAC check + decode";
/// Baseline of a session lookup: both point reads and both AES-GCM-SIV operations.
const LOOKUP_BASE: &str =
    "token entry get + decode, credential get + MAC check + decode, AES-GCM-SIV open";

/// A raw page: a reverse range scan of 21 index entries below `upper` (exclusive), and
/// 20 record MAC checks and decodes, kept until the page is whole, as a page returned
/// to a caller is. (Decoding each record into the same freed memory, as this did before,
/// is a loop no list function can be: glibc serves it from its per-thread cache, while
/// 20 records held at once take most of their strings from glibc's bins.)
fn raw_page(
    sled: &RawSled,
    cipher: &aes_gcm_siv::Aes256GcmSiv,
    upper: &[u8],
    records: &[(Vec<u8>, sled::IVec)],
) {
    let scope = raw::vault_scope();
    let scanned = sled
        .list_active
        .range(scope.as_slice()..upper)
        .rev()
        .take(21)
        .count();
    assert!(scanned > 0);
    let page: Vec<raw::VaultRecord> = records
        .iter()
        .map(|(key, record)| raw::decode_signed(cipher, record, key))
        .collect();
    std::hint::black_box(page);
}

fn lists(store: &VaultStore, sled: &RawSled, filled: &Filled, rows: &mut Vec<Row>) {
    let n = filled.vault_ids.len();
    let scope = raw::vault_scope();
    let index_key =
        |pos: usize| [scope.as_slice(), &raw::id_bytes(&filled.vault_ids[pos])].concat();
    let newest = [scope.as_slice(), &[0xff; 17]].concat();
    let cipher = raw::cipher();
    // Twenty real records (with their keys, which their MACs cover) for the baseline.
    let records: Vec<(Vec<u8>, sled::IVec)> = filled.vault_ids[n - 20..]
        .iter()
        .map(|id| {
            let key = raw::vault_key(id);
            let bytes = sled.vaults.get(&key).expect("get").expect("present");
            (key, bytes)
        })
        .collect();
    const BASE: &str = "sled scan of 21 + 20 × (MAC check + decode) into a Vec";
    // Pages against the raw page at the same position: (name, goal, the list
    // parameters of call i, the raw page's upper bound for call i).
    let mut page_row = |op: &'static str,
                        goal: Option<f64>,
                        params: &dyn Fn(usize) -> ListParams,
                        upper: &dyn Fn(usize) -> Vec<u8>| {
        let (op_ns, base_ns) = median_pair(
            31,
            100,
            |i| {
                let page = store.list_vaults(&params(i)).expect("list");
                assert_eq!(page.data.len(), 20);
            },
            |i| raw_page(sled, &cipher, &upper(i), &records),
        );
        rows.push(Row {
            op,
            op_ns,
            base: BASE,
            base_ns,
            goal,
        });
    };

    page_row(
        "list page of 20, first",
        Some(2.0),
        &|_| ListParams::default(),
        &|_| newest.clone(),
    );
    // Cursors anywhere in the list, at least a page from the oldest.
    let depth = |i: usize| 21 + pick(i, n - 21);
    page_row(
        "list page of 20, random cursor",
        Some(2.0),
        &|i| ListParams {
            after_id: Some(filled.vault_ids[depth(i)].clone()),
            ..ListParams::default()
        },
        &|i| index_key(depth(i)),
    );
    // A window of created_at around the middle of the list.
    let at = |pos: usize| {
        store
            .get_vault(&filled.vault_ids[pos])
            .expect("get")
            .created_at
    };
    let (gte, lte) = (at(n / 2 - 100), at(n / 2 + 100));
    page_row(
        "list page of 20, created_at bounds",
        None,
        &|_| ListParams {
            created_at_gte: Some(gte),
            created_at_lte: Some(lte),
            ..ListParams::default()
        },
        &|_| index_key(n / 2 + 101),
    );
    // One vault in ten matches: a page reads about 200 index entries.
    page_row(
        "list page of 20, name filter (1 in 10)",
        None,
        &|_| ListParams {
            name: Some("TEAM-3-".to_owned()),
            ..ListParams::default()
        },
        &|_| newest.clone(),
    );
    // The floor of reading a page from the records: sled's reverse scan over the
    // vaults tree, whose values are larger than the index's.
    let prefix = raw::account_prefix();
    let last_vault = [prefix.as_slice(), &[0xff; 17]].concat();
    let (op_ns, base_ns) = median_pair(
        31,
        100,
        |_| {
            let page = store.list_vaults(&ListParams::default()).expect("list");
            assert_eq!(page.data.len(), 20);
        },
        |_| {
            let page: Vec<raw::VaultRecord> = sled
                .vaults
                .range(prefix.as_slice()..&last_vault)
                .rev()
                .take(21)
                .map(|item| {
                    let (key, bytes) = item.expect("read");
                    raw::decode_signed(&cipher, &bytes, &key)
                })
                .collect();
            std::hint::black_box(page);
        },
    );
    rows.push(Row {
        op: "list page of 20, first",
        op_ns,
        base: "sled scan of 21 vault records + 21 × (MAC check + decode) into a Vec",
        base_ns,
        goal: None,
    });
}

fn create_periodic(store: &VaultStore, sled: &RawSled, n: usize, rows: &mut Vec<Row>) {
    let cipher = raw::cipher();
    let (op_ns, base_ns) = median_pair(
        21,
        200,
        |i| {
            store
                .create_vault(common::vault_request(n + i))
                .expect("create");
        },
        |i| sled.create_vault_like(&cipher, i),
    );
    rows.push(Row {
        op: "create vault, periodic",
        op_ns,
        base: "seal + encode + sled tx (same 8 writes)",
        base_ns,
        goal: Some(1.3),
    });
}

/// Open (store with a raw key, so no KDF) against sled opening the same data with its
/// six trees; interleaved, opening only is timed.
fn opens(filled: &Filled, raw_dir: &Path, rows: &mut Vec<Row>) {
    let rounds = if filled.vault_ids.len() >= 1_000_000 {
        3
    } else {
        7
    };
    let (mut ops, mut bases) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let store = common::open(&filled.dir(), Durability::Immediate);
        ops.push(start.elapsed().as_nanos() as f64);
        drop(store);
        let start = Instant::now();
        let sled = RawSled::open(raw_dir);
        bases.push(start.elapsed().as_nanos() as f64);
        drop(sled);
    }
    rows.push(Row {
        op: "open (raw key)",
        op_ns: median(ops),
        base: "sled open + 6 trees",
        base_ns: median(bases),
        goal: Some(1.5),
    });
}

fn durable_writes(store: &VaultStore, sled: &RawSled, filled: &Filled, rows: &mut Vec<Row>) {
    let n = filled.vault_ids.len();
    let cipher = raw::cipher();
    // Each durable write against the same raw write made durable.
    let mut durable_row = |op: &'static str, goal: Option<f64>, write: &dyn Fn(usize)| {
        let (op_ns, base_ns) = median_pair(11, 20, write, |i| {
            sled.create_vault_like(&cipher, 1_000_000 + i);
            sled.sync();
        });
        rows.push(Row {
            op,
            op_ns,
            base: "seal + encode + sled tx (8 writes) + flush + fsync",
            base_ns,
            goal,
        });
    };
    durable_row("create vault, immediate", Some(1.2), &|i| {
        store
            .create_vault(common::vault_request(2 * n + i))
            .expect("create");
    });
    durable_row("add credential, immediate", None, &|i| {
        let extra = CreateCredential::static_bearer(
            format!("https://mcp.example.com/extra/{i}"),
            Protocol::Sse,
            common::token(i),
        );
        store
            .add_credential(&filled.vault_ids[pick(i, n)], extra)
            .expect("add");
    });
    durable_row("archive vault, immediate", None, &|i| {
        store.archive_vault(&filled.vault_ids[i]).expect("archive");
    });
    durable_row("delete vault, immediate", None, &|i| {
        store
            .delete_vault(&filled.vault_ids[n - 1 - i])
            .expect("delete");
    });
}

/// rotate_key per live token, against the same work on the raw copy: per credential,
/// its record's MAC checked, decoded and re-signed, its token entry read, the access
/// token opened and re-sealed, the entry encoded; per vault, its record re-signed; each
/// write one sled insert at a time. Each rotation is followed by a baseline pass (which
/// rotates the copy between the same keys), so load hits both. The pass covers every
/// record, as the rotation does: a part of them would fit sled's cache where the whole
/// does not (at 100k, a pass over 20k ran at 0.7 × the whole's time per token).
fn rotation(store: &VaultStore, sled: &RawSled, rows: &mut Vec<Row>) {
    let (mut per_token, mut bases) = (Vec::new(), Vec::new());
    let mut old = common::KEY;
    // The last rotation is back to the bench key, which later opens use.
    for key in [[100; 32], [101; 32], common::KEY] {
        let start = Instant::now();
        let report = store
            .rotate_key(MasterKey::from_bytes(key))
            .expect("rotate");
        per_token.push(start.elapsed().as_nanos() as f64 / report.tokens_resealed as f64);

        let start = Instant::now();
        let tokens = raw_rotation(sled, old, key);
        bases.push(start.elapsed().as_nanos() as f64 / tokens as f64);
        old = key;
    }
    rows.push(Row {
        op: "rotate_key, per token",
        op_ns: median(per_token),
        base: "re-sign credential + vault, AES open + seal, 3 sled inserts",
        base_ns: median(bases),
        goal: Some(2.0),
    });
}

/// The baseline of a rotation from key `old` to `new`, on the raw copy: the number of
/// tokens re-sealed.
fn raw_rotation(sled: &RawSled, old: [u8; 32], new: [u8; 32]) -> usize {
    let prefix = raw::account_prefix();
    let (from, to) = (raw::cipher_of(old), raw::cipher_of(new));
    let mut tokens = 0;
    for item in sled.credentials.iter() {
        let (place, bytes) = item.expect("read");
        let record: raw::CredentialRecord = raw::decode_signed(&from, &bytes, &place);
        let again = raw::encode_signed(&to, &record, &place);
        sled.credentials.insert(&place, again).expect("insert");
        let rest = &place[prefix.len()..];
        let vault = format!("vault_{:032x}", u128::from_be_bytes(raw::id_bytes_at(rest)));
        let token_key = [&place[..prefix.len() + 16], record.lookup_url.as_bytes()].concat();
        let bytes = sled.tokens.get(&token_key).expect("get").expect("a token");
        let mut entry: raw::TokenEntry = raw::decode_as(raw::V2, &bytes);
        let ad = raw::access_ad(&vault, &raw::credential_text(entry.credential_id), &record);
        let plain = raw::open(&from, &entry.access_token, &ad);
        entry.access_token = raw::seal(&to, &plain, &ad);
        sled.tokens
            .insert(&token_key, raw::encode_as(raw::V2, &entry))
            .expect("insert");
        tokens += 1;
    }
    for item in sled.vaults.iter() {
        let (place, bytes) = item.expect("read");
        let again = raw::resign(&from, &to, &bytes, &place);
        sled.vaults.insert(&place, again).expect("insert");
    }
    tokens
}

/// `VAULTSTORE_BENCH_FILL_DIR=DIR VAULTSTORE_BENCH_FILL_N=N`: fills a store of N vaults
/// in DIR/store and keeps it, for profiling (below) outside the fill.
const FILL_DIR: &str = "VAULTSTORE_BENCH_FILL_DIR";
/// `VAULTSTORE_BENCH_PROFILE_DIR=DIR VAULTSTORE_BENCH_PROFILE=OP`: runs OP (`lookup`,
/// `raw_lookup`, `page`, `raw_page`, `rotate`, `raw_rotate`) 2000 times on that store, inside `profiled`, for
/// `valgrind --tool=callgrind --toggle-collect='*profiled*'`, and prints the time per
/// call. Before it, as the compare process does: `_FILL=N` fills (and drops) another
/// store of N vaults in this process; `_HEAP=1` and `_WARM=1` (not with the raw
/// operations) hold the bench's heap, make its random gets. `_LIMIT=N`: page size.
/// `_ITERS=N`: calls (default 2000).
const PROFILE_DIR: &str = "VAULTSTORE_BENCH_PROFILE_DIR";

fn fill_into(dir: &Path) {
    let n = std::env::var("VAULTSTORE_BENCH_FILL_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let store = common::open(&dir.join("store"), Durability::Periodic);
    for i in 0..n {
        store
            .create_vault(common::vault_request(i))
            .expect("create");
    }
    store.flush().expect("flush");
}

/// The profiled loop: only this is counted with `--toggle-collect`.
#[inline(never)]
fn profiled(iters: usize, op: &mut dyn FnMut(usize)) {
    let start = Instant::now();
    for i in 0..iters {
        op(i);
    }
    let ns = start.elapsed().as_nanos() as f64 / iters as f64;
    println!("{} per call", fmt_ns(ns));
}

fn profile(dir: &Path) {
    // _ITERS: calls in the loop (default 2000); more for `perf record -p` to attach.
    let iters = std::env::var("VAULTSTORE_BENCH_PROFILE_ITERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let op = std::env::var("VAULTSTORE_BENCH_PROFILE").unwrap_or_default();
    // _FILL=N: first fill (and drop) a store of N vaults in this process, as compare does.
    let filled = std::env::var("VAULTSTORE_BENCH_PROFILE_FILL")
        .ok()
        .and_then(|n| n.parse().ok())
        .map(common::fill);
    let store = common::open(&dir.join("store"), Durability::Periodic);
    // Up to 1000 vaults of the store, newest first, with their URL.
    let mut vaults = Vec::new();
    let mut params = ListParams {
        limit: Some(100),
        ..ListParams::default()
    };
    while vaults.len() < 1000 {
        let page = store.list_vaults(&params).expect("list");
        for vault in &page.data {
            let credentials = store
                .list_credentials(&vault.id, &ListParams::default())
                .expect("credentials");
            vaults.push((vault.id.clone(), credentials.data[0].mcp_server_url.clone()));
        }
        if !page.has_more {
            break;
        }
        params.after_id = page.last_id;
    }
    // What the compare process holds and has done before its pages, to tell which of
    // the two slows them: VAULTSTORE_BENCH_PROFILE_HEAP=1 keeps the bench's heap (an id
    // string per vault and credential, 65,536 sessions), _WARM=1 makes its 65,536
    // random gets through the store's cache.
    let flag = |name: &str| std::env::var(name).as_deref() == Ok("1");
    let (heap, warm) = (
        flag("VAULTSTORE_BENCH_PROFILE_HEAP"),
        flag("VAULTSTORE_BENCH_PROFILE_WARM"),
    );
    let mut all = Vec::new();
    if heap || warm {
        let mut params = ListParams {
            limit: Some(100),
            ..ListParams::default()
        };
        loop {
            let page = store.list_vaults(&params).expect("list");
            all.extend(page.data.iter().map(|v| v.id.clone()));
            if !page.has_more {
                break;
            }
            params.after_id = page.last_id;
        }
    }
    let n = all.len().max(1);
    let held: Vec<(String, Session)> = if heap {
        (0..n.min(65_536))
            .map(|i| {
                let id = &all[pick(i, n)];
                (
                    id.replace("vault_", "vcred_"),
                    store.session(&[id]).expect("session"),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    if warm {
        for i in 0..n.min(65_536) {
            store.get_vault(&all[pick(i, n)]).expect("get");
        }
    }
    match op.as_str() {
        "lookup" => {
            let sessions: Vec<(Session, &str)> = vaults
                .iter()
                .map(|(id, url)| (store.session(&[id]).expect("session"), url.as_str()))
                .collect();
            profiled(iters, &mut |i| {
                let (session, url) = &sessions[i % sessions.len()];
                session.bearer_token(url).expect("lookup").expect("a token");
            });
        }
        "page" => {
            // _LIMIT: another page size (default 20).
            let limit = std::env::var("VAULTSTORE_BENCH_PROFILE_LIMIT")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(20);
            let params = ListParams {
                limit: Some(limit),
                ..ListParams::default()
            };
            profiled(iters, &mut |_| {
                let page = store.list_vaults(&params).expect("list");
                assert_eq!(page.data.len(), limit as usize);
            });
        }
        "raw_lookup" | "raw_page" | "raw_rotate" => {
            drop(store);
            let data = dir.join("store").join("data");
            let copy = dir.join("raw-copy");
            if op == "raw_rotate" {
                // On a copy: the raw re-signing does not keep the store's key ids.
                let _ = std::fs::remove_dir_all(&copy);
                common::copy_dir(&data, &copy);
            }
            let sled = RawSled::open(if op == "raw_rotate" { &copy } else { &data });
            if op == "raw_rotate" {
                // There and back, as `rotate` does.
                profiled(iters, &mut |i| {
                    let (old, new) = if i % 2 == 0 {
                        (common::KEY, [100; 32])
                    } else {
                        ([100; 32], common::KEY)
                    };
                    raw_rotation(&sled, old, new);
                });
            } else if op == "raw_lookup" {
                let cipher = raw::cipher();
                let keys: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vaults
                    .iter()
                    .map(|(id, url)| {
                        (
                            id.as_str(),
                            raw::vault_key(id),
                            raw::token_key(id, url),
                            url.as_str(),
                        )
                    })
                    .collect();
                profiled(iters, &mut |i| {
                    let (vault, vault_key, token_key, url) = &keys[i % keys.len()];
                    raw::session_lookup(&sled, &cipher, vault, vault_key, token_key, url);
                });
            } else {
                let cipher = raw::cipher();
                let prefix = raw::account_prefix();
                let last = [prefix.as_slice(), &[0xff; 17]].concat();
                profiled(iters, &mut |_| {
                    let page: Vec<raw::VaultRecord> = sled
                        .vaults
                        .range(prefix.as_slice()..&last[..])
                        .rev()
                        .take(21)
                        .map(|item| {
                            let (key, bytes) = item.expect("read");
                            raw::decode_signed(&cipher, &bytes, &key)
                        })
                        .collect();
                    std::hint::black_box(page);
                });
            }
        }
        "rotate" => {
            // There and back: the store keeps the bench key.
            profiled(iters, &mut |i| {
                let key = if i % 2 == 0 { [100; 32] } else { common::KEY };
                store
                    .rotate_key(MasterKey::from_bytes(key))
                    .expect("rotate");
            });
        }
        other => panic!("VAULTSTORE_BENCH_PROFILE: unknown operation '{other}'"),
    }
    drop((held, filled));
}

const RSS_CHILD: &str = "VAULTSTORE_BENCH_RSS_DIR";
const RSS_RAW_CHILD: &str = "VAULTSTORE_BENCH_RSS_RAW_DIR";

/// Runs this binary again to open the store (or, for `RSS_RAW_CHILD`, raw sled) in a
/// fresh process: (RSS after open, RSS after reading every vault), in KiB.
fn rss_of_child(mode: &str, dir: &Path) -> (u64, u64) {
    let exe = std::env::current_exe().expect("this binary");
    let output = std::process::Command::new(exe)
        .env(mode, dir)
        .output()
        .expect("run the RSS child");
    assert!(
        output.status.success(),
        "the RSS child failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text
        .split_whitespace()
        .map(|word| word.parse::<u64>().expect("a number"));
    (
        numbers.next().expect("RSS after open"),
        numbers.next().expect("RSS after list"),
    )
}

fn rss_child(dir: &Path) {
    let store = common::open(dir, Durability::Immediate);
    let after_open = common::rss_kib();
    let mut params = ListParams {
        limit: Some(100),
        ..ListParams::default()
    };
    loop {
        let page = store.list_vaults(&params).expect("list");
        if !page.has_more {
            break;
        }
        params.after_id = page.last_id;
    }
    println!("{after_open} {}", common::rss_kib());
}

fn rss_raw_child(dir: &Path) {
    let sled = RawSled::open(dir);
    let after_open = common::rss_kib();
    let cipher = raw::cipher();
    for item in sled.vaults.iter() {
        let (key, bytes) = item.expect("read");
        raw::decode_signed::<raw::VaultRecord>(&cipher, &bytes, &key);
    }
    println!("{after_open} {}", common::rss_kib());
}

/// How each operation's median grows from scale to scale.
fn growth_table(all: &[(usize, Vec<Row>)], report: &mut String) {
    let mut out = String::new();
    let _ = writeln!(out, "\n## Growth with n (operation medians)\n");
    let mut header = "| operation |".to_owned();
    let mut rule = "|---|".to_owned();
    for (n, _) in all {
        let _ = write!(header, " {n} |");
        rule.push_str("---:|");
    }
    header.push_str(" last / first |");
    rule.push_str("---:|");
    let _ = writeln!(out, "{header}\n{rule}");
    for (i, row) in all[0].1.iter().enumerate() {
        let mut line = format!("| {} |", row.op);
        for (_, rows) in all {
            let _ = write!(line, " {} |", fmt_ns(rows[i].op_ns));
        }
        let last = all.last().expect("a scale").1[i].op_ns;
        let _ = write!(line, " {:.2} |", last / row.op_ns);
        let _ = writeln!(out, "{line}");
    }
    print!("{out}");
    report.push_str(&out);
}
