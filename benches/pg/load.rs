//! Throughput: calls per second from several threads of one process, and from several
//! processes (this bench binary run again as workers, each opening the store itself),
//! all against the same schema.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use vaultstore::{Session, VaultStore};

use super::fill::Item;
use super::pick;
use super::raw::RawPg;
use crate::common;

/// Set in a worker process: conninfo, schema, operation, threads, seconds and the
/// file of vaults, tab-separated.
pub const WORKER: &str = "VAULTSTORE_PG_BENCH_WORKER";

/// Unmeasured seconds first, so every connection is open before timing starts.
const WARM_UP: f64 = 0.5;

/// Vaults a session lookup run spreads over (one session each).
const SESSIONS: usize = 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    /// `Session::bearer_token`.
    Lookup,
    /// `VaultStore::get_vault`.
    Get,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Lookup => "lookup",
            Op::Get => "get",
        }
    }

    fn parse(text: &str) -> Op {
        match text {
            "lookup" => Op::Lookup,
            "get" => Op::Get,
            _ => panic!("unknown operation {text}"),
        }
    }
}

/// The vaults a run touches: (vault id, URL of its credential).
pub type Targets = Vec<(String, String)>;

pub fn targets(items: &[Item]) -> Targets {
    (0..SESSIONS.min(items.len()))
        .map(|k| &items[pick(k, items.len())])
        .map(|item| (item.vault_id.clone(), common::url(item.i)))
        .collect()
}

/// `op` through a store, ready to run: for lookups, a session per target vault.
pub struct StoreLoad<'a> {
    store: &'a VaultStore,
    targets: &'a Targets,
    op: Op,
    sessions: Vec<(Session, &'a str)>,
}

impl<'a> StoreLoad<'a> {
    pub fn new(store: &'a VaultStore, targets: &'a Targets, op: Op) -> StoreLoad<'a> {
        let sessions = match op {
            Op::Lookup => targets
                .iter()
                .map(|(vault, url)| (store.session(&[vault]).expect("session"), url.as_str()))
                .collect(),
            Op::Get => Vec::new(),
        };
        StoreLoad {
            store,
            targets,
            op,
            sessions,
        }
    }

    fn call(&self, i: usize) {
        match self.op {
            Op::Lookup => {
                let (session, url) = &self.sessions[pick(i, self.sessions.len())];
                session.bearer_token(url).expect("lookup").expect("a token");
            }
            Op::Get => {
                let vault = &self.targets[pick(i, self.targets.len())].0;
                self.store.get_vault(vault).expect("get");
            }
        }
    }

    /// Runs unmeasured from `threads` threads, so the pool has their connections open.
    pub fn warm(&self, threads: usize) {
        run(threads, WARM_UP, &|_| Box::new(|i| self.call(i)));
    }

    /// Calls per second from `threads` threads over `secs` seconds.
    pub fn rate(&self, threads: usize, secs: f64) -> f64 {
        run(threads, secs, &|_| Box::new(|i| self.call(i)))
    }
}

/// Calls per second of the raw statements of `op` from `threads` threads, each on a
/// connection of its own.
pub fn raw_rate(
    conninfo: &str,
    schema: &str,
    targets: &Targets,
    op: Op,
    threads: usize,
    secs: f64,
) -> f64 {
    let make = |_| -> Box<dyn FnMut(usize) + '_> {
        let mut pg = RawPg::connect(conninfo, schema);
        let cipher = common::raw::cipher();
        Box::new(move |i| {
            let (vault, url) = &targets[pick(i, targets.len())];
            match op {
                Op::Lookup => {
                    pg.session_lookup(&cipher, vault, url);
                }
                Op::Get => pg.get_vault(&cipher, vault),
            }
        })
    };
    run(threads, secs, &make)
}

/// Calls per second summed over `threads` threads, each running the call `make` gives
/// it for `secs` seconds (its own clock, from a common start).
fn run<'a>(
    threads: usize,
    secs: f64,
    make: &(dyn Fn(usize) -> Box<dyn FnMut(usize) + 'a> + Sync),
) -> f64 {
    let stop = AtomicBool::new(false);
    let start = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (stop, start) = (&stop, &start);
                scope.spawn(move || {
                    let mut call = make(t);
                    start.wait();
                    let began = Instant::now();
                    // Threads start at different items, all spread the same way.
                    let mut i = t * 1_000_003;
                    let mut calls = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        call(i);
                        i += 1;
                        calls += 1;
                    }
                    calls as f64 / began.elapsed().as_secs_f64()
                })
            })
            .collect();
        start.wait();
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| h.join().expect("a load thread"))
            .sum()
    })
}

/// Calls per second summed over `processes` workers of `threads` threads each, all
/// started (store opened, connections warm) before any is told to go.
pub fn process_rate(
    conninfo: &str,
    schema: &str,
    targets: &Targets,
    op: Op,
    processes: usize,
    threads: usize,
    secs: f64,
) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("targets");
    let lines: Vec<String> = targets.iter().map(|(v, u)| format!("{v}\t{u}")).collect();
    std::fs::write(&file, lines.join("\n")).expect("write targets");
    let spec = format!(
        "{conninfo}\t{schema}\t{}\t{threads}\t{secs}\t{}",
        op.name(),
        file.display()
    );
    let mut children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(std::env::current_exe().expect("this binary"))
                .env(WORKER, &spec)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a worker")
        })
        .collect();
    let mut outs: Vec<_> = children
        .iter_mut()
        .map(|c| BufReader::new(c.stdout.take().expect("stdout")))
        .collect();
    for out in &mut outs {
        assert_eq!(read_line(out), "ready");
    }
    for child in &mut children {
        let stdin = child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "go").expect("tell a worker to go");
    }
    let rate = outs
        .iter_mut()
        .map(|out| read_line(out).parse::<f64>().expect("a rate"))
        .sum();
    for mut child in children {
        assert!(
            child.wait().expect("worker ends").success(),
            "a worker failed"
        );
    }
    rate
}

fn read_line(out: &mut impl BufRead) -> String {
    let mut line = String::new();
    out.read_line(&mut line).expect("read a worker's line");
    line.trim().to_owned()
}

/// A worker process: opens the store, warms up, says `ready`, waits for `go`, runs,
/// and prints its calls per second.
pub fn worker(spec: &str) {
    let parts: Vec<&str> = spec.split('\t').collect();
    let [conninfo, schema, op, threads, secs, file] = parts[..] else {
        panic!("bad worker spec");
    };
    let threads: usize = threads.parse().expect("threads");
    let secs: f64 = secs.parse().expect("seconds");
    let targets: Targets = std::fs::read_to_string(file)
        .expect("read targets")
        .lines()
        .map(|line| {
            let (vault, url) = line.split_once('\t').expect("vault and URL");
            (vault.to_owned(), url.to_owned())
        })
        .collect();
    let store = super::open(conninfo, schema, threads as u32);
    let load = StoreLoad::new(&store, &targets, Op::parse(op));
    // The measured run starts when every worker is ready.
    load.warm(threads);
    println!("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("wait for go");
    println!("{}", load.rate(threads, secs));
}
