//! Load figures for `vaultstore serve`: p50/p99 latency and throughput of get vault,
//! list vaults and resolve over HTTP (keep-alive connections, one blocking client
//! thread each) at 16 and 64 concurrent connections, beside the same calls made
//! in-process from as many threads.
//!
//! `cargo run --release --features server --example server_load [-- SECONDS VAULTS]`
//! (defaults: 3 s per case, 1000 vaults). Client and server share the machine.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::server::{self, ApiKeys, Role, ServeOptions};
use vaultstore::{CreateCredential, CreateVault, ListParams, MasterKey, Protocol, VaultStore};

#[derive(Clone, Copy)]
enum Op {
    Get,
    List,
    Resolve,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Get => "get vault",
            Op::List => "list vaults (20)",
            Op::Resolve => "resolve",
        }
    }
}

struct Fixture {
    base: String,
    admin: String,
    runtime: String,
    ids: Arc<Vec<String>>,
    store: VaultStore,
}

fn url_of(i: usize) -> String {
    format!("https://mcp{i}.example.com/mcp")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let seconds: f64 = args.get(1).map_or(Ok(3.0), |s| s.parse())?;
    let vaults: usize = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let store = VaultStore::open(dir.path(), MasterKey::generate())?;
    let mut ids = Vec::with_capacity(vaults);
    for i in 0..vaults {
        let cred = CreateCredential::static_bearer(
            url_of(i),
            Protocol::StreamableHttp,
            SecretString::from(format!("token-{i}")),
        );
        ids.push(
            store
                .create_vault(CreateVault::new(format!("vault {i}"), vec![cred]))?
                .id,
        );
    }
    let keys = ApiKeys::new(dir.path());
    let admin = keys.create("default", Role::Admin, None)?;
    let runtime = keys.create("default", Role::Runtime, None)?;
    let running = server::start(
        store.clone(),
        keys,
        ServeOptions::new("127.0.0.1:0".parse()?),
    )?;
    let fixture = Fixture {
        base: running.endpoint(false),
        admin: admin.key.expose_secret().to_owned(),
        runtime: runtime.key.expose_secret().to_owned(),
        ids: Arc::new(ids),
        store,
    };
    let duration = Duration::from_secs_f64(seconds);
    println!(
        "{vaults} vaults, {seconds} s per case, {} cores\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| operation | via | connections | requests/s | p50 | p99 |\n|---|---|---:|---:|---:|---:|"
    );
    for op in [Op::Get, Op::List, Op::Resolve] {
        for threads in [16, 64] {
            let http = run(threads, duration, |t| http_call(&fixture, op, t));
            row(op, "HTTP", threads, &http, duration);
            let direct = run(threads, duration, |t| direct_call(&fixture, op, t));
            row(op, "in-process", threads, &direct, duration);
        }
    }
    running.shutdown()?;
    Ok(())
}

fn row(op: Op, via: &str, threads: usize, latencies: &[Duration], duration: Duration) {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q) as usize];
    println!(
        "| {} | {via} | {threads} | {:.0} | {:.0} µs | {:.0} µs |",
        op.name(),
        sorted.len() as f64 / duration.as_secs_f64(),
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
    );
}

/// Runs `threads` workers for `duration`; each makes its caller with its thread index
/// and times every call.
fn run<F, C>(threads: usize, duration: Duration, make: F) -> Vec<Duration>
where
    F: Fn(usize) -> C + Sync,
    C: FnMut(usize),
{
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (stop, make) = (&stop, &make);
                scope.spawn(move || {
                    let mut call = make(t);
                    let mut times = Vec::new();
                    let mut i = t;
                    while !stop.load(Ordering::Relaxed) {
                        let start = Instant::now();
                        call(i);
                        times.push(start.elapsed());
                        i = i.wrapping_mul(31).wrapping_add(17);
                    }
                    times
                })
            })
            .collect();
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    })
}

fn http_call(f: &Fixture, op: Op, _thread: usize) -> impl FnMut(usize) + '_ {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_idle_connections_per_host(1)
        .build()
        .into();
    move |i| {
        let id = &f.ids[i % f.ids.len()];
        let ok = match op {
            Op::Get => agent
                .get(format!("{}/v1/vaults/{id}", f.base))
                .header("x-api-key", &f.admin)
                .call()
                .map(|mut r| r.body_mut().read_to_vec().is_ok()),
            Op::List => agent
                .get(format!("{}/v1/vaults?limit=20", f.base))
                .header("x-api-key", &f.admin)
                .call()
                .map(|mut r| r.body_mut().read_to_vec().is_ok()),
            Op::Resolve => {
                let body = format!(
                    r#"{{"vault_ids": ["{id}"], "mcp_server_url": "{}"}}"#,
                    url_of(i % f.ids.len())
                );
                agent
                    .post(format!("{}/vaultstore/v1/resolve", f.base))
                    .header("x-api-key", &f.runtime)
                    .send(body.as_bytes())
                    .map(|mut r| r.body_mut().read_to_vec().is_ok())
            }
        };
        assert!(matches!(ok, Ok(true)), "a request failed: {ok:?}");
    }
}

fn direct_call(f: &Fixture, op: Op, _thread: usize) -> impl FnMut(usize) + '_ {
    let params = ListParams {
        limit: Some(20),
        ..ListParams::default()
    };
    move |i| {
        let id = &f.ids[i % f.ids.len()];
        match op {
            Op::Get => {
                f.store.get_vault(id).expect("get");
            }
            Op::List => {
                f.store.list_vaults(&params).expect("list");
            }
            Op::Resolve => {
                f.store
                    .session(&[id])
                    .expect("session")
                    .resolve(&url_of(i % f.ids.len()))
                    .expect("resolve")
                    .expect("found");
            }
        }
    }
}
