//! Every store operation through criterion, on a store of 1k vaults (one credential
//! each). For ratios to raw sled and for scale, see the `compare` bench.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vaultstore::{CreateCredential, Durability, ListParams, MasterKey, Protocol};

const VAULTS: usize = 1_000;

fn operations(c: &mut Criterion) {
    let filled = common::fill(VAULTS);
    let ids = &filled.vault_ids;
    let mut group = c.benchmark_group("ops_1k");

    // Reads, and creates without waiting for the disk.
    let store = common::open(&filled.dir(), Durability::Periodic);
    let mut next = VAULTS;
    group.bench_function("create_vault_periodic", |b| {
        b.iter(|| {
            next += 1;
            store
                .create_vault(common::vault_request(next))
                .expect("create")
        })
    });
    let mut i = 0;
    let mut spread = || {
        i += 1;
        (i * 7919) % VAULTS
    };
    group.bench_function("get_vault", |b| {
        b.iter(|| store.get_vault(&ids[spread()]).expect("get"))
    });
    group.bench_function("get_credential", |b| {
        b.iter(|| {
            let p = spread();
            store
                .get_credential(&ids[p], &filled.credential_ids[p])
                .expect("get")
        })
    });
    let session = store.session(&[&ids[VAULTS / 2]]).expect("session");
    let url = common::url(VAULTS / 2);
    group.bench_function("session_token_lookup", |b| {
        b.iter(|| session.bearer_token(black_box(&url)).expect("lookup"))
    });
    let at = |p: usize| store.get_vault(&ids[p]).expect("get").created_at;
    let lists = [
        ("list_page_first", ListParams::default()),
        (
            "list_page_name_filter",
            ListParams {
                name: Some("team-3-".into()),
                ..ListParams::default()
            },
        ),
        (
            "list_page_created_at_bounds",
            ListParams {
                created_at_gte: Some(at(VAULTS / 2 - 100)),
                created_at_lte: Some(at(VAULTS / 2 + 100)),
                ..ListParams::default()
            },
        ),
        (
            "list_page_deep_cursor",
            ListParams {
                after_id: Some(ids[30].clone()),
                ..ListParams::default()
            },
        ),
    ];
    for (name, params) in &lists {
        group.bench_function(*name, |b| {
            b.iter(|| store.list_vaults(params).expect("list"))
        });
    }
    drop((session, store));

    // Durable writes.
    let store = common::open(&filled.dir(), Durability::Immediate);
    group.bench_function("create_vault_immediate", |b| {
        b.iter(|| {
            next += 1;
            store
                .create_vault(common::vault_request(next))
                .expect("create")
        })
    });
    group.bench_function("add_credential_immediate", |b| {
        b.iter(|| {
            next += 1;
            let extra = CreateCredential::static_bearer(
                format!("https://mcp.example.com/extra/{next}"),
                Protocol::Sse,
                common::token(next),
            );
            store
                .add_credential(&ids[next % VAULTS], extra)
                .expect("add")
        })
    });
    let fresh_vault = || {
        let mut vault = store
            .create_vault(common::vault_request(0))
            .expect("create");
        vault.credentials = None;
        vault.id
    };
    group.bench_function("archive_vault_immediate", |b| {
        b.iter_batched(
            fresh_vault,
            |id| store.archive_vault(id).expect("archive"),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("delete_vault_immediate", |b| {
        b.iter_batched(
            fresh_vault,
            |id| store.delete_vault(id).expect("delete"),
            BatchSize::SmallInput,
        )
    });

    drop(store);

    // Opening with a raw key (no passphrase KDF); closing is not timed.
    let dir = filled.dir();
    group.bench_function("open", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let store = common::open(&dir, Durability::Immediate);
                total += start.elapsed();
                drop(store);
            }
            total
        })
    });

    // Per token, on a fresh store of exactly VAULTS live tokens (the one above has
    // gained credentials).
    let fresh = common::fill(VAULTS);
    let store = common::open(&fresh.dir(), Durability::Immediate);
    let mut key = 0u8;
    group.throughput(Throughput::Elements(VAULTS as u64));
    group.bench_function("rotate_key_per_token", |b| {
        b.iter(|| {
            key = key.wrapping_add(1);
            store
                .rotate_key(MasterKey::from_bytes([key; 32]))
                .expect("rotate")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = operations
}
criterion_main!(benches);
