//! Guards crash consistency with real crashes: a child process (this test binary, re-run)
//! makes durable changes and key rotations and reports each one it saw acknowledged; the
//! parent SIGKILLs it at a random moment, reopens the store and checks that every
//! acknowledged change is there, the one change in flight is all there or not at all,
//! `verify` is clean and every live token resolves. After a kill during a rotation the
//! store opens with the old key or the new one, never with neither, and loses no token.
//!
//! A kill loses what the process had not yet written to the file system, which is what
//! an unflushed write loses; it cannot show a missing fsync, because the page cache
//! outlives the process. `crash_fsync.rs` counts fsyncs for that.
//!
//! `VAULTSTORE_CRASH_CYCLES=N` runs N kill cycles (default 50) as a longer soak;
//! `VAULTSTORE_CRASH_SEED=S` replays a run (the seed is printed on failure).

mod common_robust;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common_robust::*;
use rand::rngs::StdRng;
use rand::seq::IteratorRandom;
use rand::{Rng, SeedableRng};
use vaultstore::{Error, ListParams, MasterKey, Status, VaultStore};

const TEST: &str = "acknowledged_changes_survive_sigkill";
const DEFAULT_CYCLES: usize = 50;
/// The child stops creating vaults past this many live ones, so checks stay quick.
const MAX_VAULTS: usize = 25;

fn token_for(url: &str) -> String {
    format!("fake-token:{url}")
}

fn key_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("key-{n}"))
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn acknowledged_changes_survive_sigkill() {
    if let Some(mode) = child_role() {
        child(&mode);
        return;
    }
    let cycles = env_number("VAULTSTORE_CRASH_CYCLES").unwrap_or(DEFAULT_CYCLES as u64);
    let seed = env_number("VAULTSTORE_CRASH_SEED").unwrap_or_else(rand::random);
    eprintln!("crash test: {cycles} cycles, VAULTSTORE_CRASH_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let keys = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let store_dir = dir.path().join("store");
    MasterKey::generate()
        .write_to_file(key_path(keys.path(), 0))
        .expect("key file");
    let mut model = Model::default();
    let mut rotations_cut = 0;
    let mut old_key_refused = 0;
    for cycle in 0..cycles {
        let mode = if cycle % 3 == 2 { "rotate" } else { "ops" };
        let env = [
            ("CRASH_STORE", store_dir.display().to_string()),
            ("CRASH_KEYS", keys.path().display().to_string()),
            ("CRASH_KEY_N", model.key_n.to_string()),
            ("CRASH_SEED", rng.gen::<u64>().to_string()),
        ];
        let mut child = spawn_child(TEST, mode, &env);
        let lines = child_lines(&mut child);
        let ready = lines.recv_timeout(Duration::from_secs(120));
        assert_eq!(
            ready.as_deref(),
            Ok("ready"),
            "cycle {cycle}: child never ready"
        );
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..120)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        // The reader thread ends at EOF, after the last line the child wrote.
        let lines: Vec<String> = lines.iter().collect();
        let pending = model.apply_acknowledged(&lines);
        rotations_cut += u32::from(matches!(pending, Some(Op::Rotate(_))));
        let (store, n) = open_after_kill(keys.path(), &store_dir, model.key_n, &pending);
        old_key_refused += u32::from(n != model.key_n);
        model.key_n = n;
        model.check_and_absorb(&store, pending);
    }
    eprintln!(
        "crash test: {cycles} kills, {} vaults live, {rotations_cut} during a rotation, \
         {old_key_refused} of them left a store only the new key opens",
        model.vaults.len()
    );
    assert!(
        !model.vaults.is_empty(),
        "the children acknowledged nothing"
    );
}

/// Opens with the last acknowledged key; if a rotation was in flight, the old key may
/// be refused and then the next key must open the store (finishing the rotation).
fn open_after_kill(
    keys: &Path,
    store: &Path,
    key_n: u32,
    pending: &Option<Op>,
) -> (VaultStore, u32) {
    let old = MasterKey::from_file(key_path(keys, key_n)).expect("acknowledged key file");
    match VaultStore::open(store, old) {
        Ok(store) => (store, key_n),
        Err(e @ (Error::RotationUnfinished | Error::WrongKey)) => {
            assert_eq!(
                *pending,
                Some(Op::Rotate(key_n + 1)),
                "old key refused ({e}) with no rotation in flight"
            );
            let next = MasterKey::from_file(key_path(keys, key_n + 1)).expect("next key file");
            let store = VaultStore::open(store, next).expect("the next key opens the store");
            (store, key_n + 1)
        }
        Err(e) => panic!("the store does not open after a kill: {e}"),
    }
}

/// A change the child announced; `done` lines carry the ids it was given.
#[derive(Clone, Debug, PartialEq)]
enum Op {
    Create { name: String, urls: Vec<String> },
    Add { vault: String, url: String },
    ArchiveVault(String),
    ArchiveCredential(String, String),
    Delete(String),
    Rotate(u32),
}

impl Op {
    fn parse(words: &[&str]) -> Op {
        let s = |i: usize| words[i].to_owned();
        match words[0] {
            "create" => Op::Create {
                name: s(1),
                urls: words[2..].iter().map(|w| (*w).to_owned()).collect(),
            },
            "add" => Op::Add {
                vault: s(1),
                url: s(2),
            },
            "archive_vault" => Op::ArchiveVault(s(1)),
            "archive_credential" => Op::ArchiveCredential(s(1), s(2)),
            "delete" => Op::Delete(s(1)),
            "rotate" => Op::Rotate(words[1].parse().expect("key number")),
            other => panic!("unknown op {other}"),
        }
    }
}

#[derive(Debug, Default, PartialEq)]
struct ModelVault {
    active: bool,
    /// Credential id → (URL, active).
    credentials: BTreeMap<String, (String, bool)>,
}

/// What the children were told is durable.
#[derive(Default)]
struct Model {
    vaults: BTreeMap<String, ModelVault>,
    deleted: Vec<String>,
    /// The number of the key file that opens the store.
    key_n: u32,
}

impl Model {
    /// Applies the acknowledged changes; returns the change in flight at the kill.
    fn apply_acknowledged(&mut self, lines: &[String]) -> Option<Op> {
        let mut pending = None;
        for line in lines {
            let words: Vec<&str> = line.split(' ').collect();
            match words[0] {
                "plan" => pending = Some(Op::parse(&words[1..])),
                "done" => {
                    let op = pending.take().expect("done without plan");
                    self.apply(&op, &words[1..]);
                }
                _ => {}
            }
        }
        pending
    }

    fn apply(&mut self, op: &Op, ids: &[&str]) {
        match op {
            Op::Create { urls, .. } => {
                let credentials = ids[1..]
                    .iter()
                    .zip(urls)
                    .map(|(id, url)| ((*id).to_owned(), (url.clone(), true)))
                    .collect();
                self.vaults.insert(
                    ids[0].to_owned(),
                    ModelVault {
                        active: true,
                        credentials,
                    },
                );
            }
            Op::Add { vault, url } => {
                let v = self.vaults.get_mut(vault).expect("known vault");
                v.credentials.insert(ids[0].to_owned(), (url.clone(), true));
            }
            Op::ArchiveVault(vault) => {
                let v = self.vaults.get_mut(vault).expect("known vault");
                v.active = false;
                v.credentials.values_mut().for_each(|c| c.1 = false);
            }
            Op::ArchiveCredential(vault, id) => {
                let v = self.vaults.get_mut(vault).expect("known vault");
                v.credentials.get_mut(id).expect("known credential").1 = false;
            }
            Op::Delete(vault) => {
                self.vaults.remove(vault);
                self.deleted.push(vault.clone());
            }
            Op::Rotate(n) => self.key_n = *n,
        }
    }

    /// Checks the store against the model. The change in flight may be in the store
    /// whole (then the model takes it) or not at all.
    fn check_and_absorb(&mut self, store: &VaultStore, pending: Option<Op>) {
        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "verify after a kill: {:?}", report.problems);
        let mut found = all_vaults(store);
        if let Some(op) = pending {
            self.absorb(store, &op, &found);
        }
        for (id, expected) in &self.vaults {
            let actual = found
                .remove(id)
                .unwrap_or_else(|| panic!("acknowledged {id} lost"));
            assert_eq!(actual.active, expected.active, "{id} status");
            assert_eq!(actual.credentials, expected.credentials, "{id} credentials");
            if expected.active {
                for (url, _) in expected.credentials.values().filter(|c| c.1) {
                    let token = bearer(store, id, url).expect("session lookup");
                    assert_eq!(token, Some(token_for(url)), "{id} token for {url}");
                }
            }
        }
        assert!(found.is_empty(), "unacknowledged vaults: {found:?}");
        for id in &self.deleted {
            assert!(matches!(store.get_vault(id), Err(Error::NotFound { .. })));
        }
    }

    /// Takes the change in flight into the model if the store shows it.
    fn absorb(&mut self, store: &VaultStore, op: &Op, found: &BTreeMap<String, ModelVault>) {
        match op {
            Op::Create { name, urls } => {
                let new: Vec<_> = found
                    .keys()
                    .filter(|id| !self.vaults.contains_key(*id))
                    .collect();
                assert!(
                    new.len() <= 1,
                    "more than one unacknowledged vault: {new:?}"
                );
                if let Some(id) = new.first() {
                    let vault = store.get_vault(id).expect("get");
                    assert_eq!(&vault.display_name, name);
                    let v = &found[*id];
                    let mut seen: Vec<_> = v.credentials.values().map(|c| c.0.clone()).collect();
                    seen.sort();
                    let mut want = urls.clone();
                    want.sort();
                    assert_eq!(seen, want, "a vault created in part");
                    let ids: Vec<&str> = v.credentials.keys().map(String::as_str).collect();
                    self.apply(op, &[&[id.as_str()], ids.as_slice()].concat());
                }
            }
            Op::Add { vault, url } => {
                let known = &self.vaults[vault].credentials;
                let new: Vec<_> = found[vault]
                    .credentials
                    .iter()
                    .filter(|(id, _)| !known.contains_key(*id))
                    .collect();
                assert!(new.len() <= 1, "more than one unacknowledged credential");
                if let Some((id, (found_url, _))) = new.first() {
                    assert_eq!(found_url, url);
                    let id = (*id).clone();
                    self.apply(op, &[&id]);
                }
            }
            Op::ArchiveVault(vault) if !found[vault].active => self.apply(op, &[]),
            Op::ArchiveCredential(vault, id) if !found[vault].credentials[id].1 => {
                self.apply(op, &[])
            }
            Op::Delete(vault) if !found.contains_key(vault) => self.apply(op, &[]),
            _ => {}
        }
    }
}

/// Every vault in the store, with its credentials, as the public API shows them.
fn all_vaults(store: &VaultStore) -> BTreeMap<String, ModelVault> {
    let mut out = BTreeMap::new();
    let mut params = ListParams {
        limit: Some(100),
        include_archived: true,
        ..ListParams::default()
    };
    loop {
        let page = store.list_vaults(&params).expect("list vaults");
        for vault in &page.data {
            let mut credentials = BTreeMap::new();
            let creds = ListParams {
                limit: Some(100),
                include_archived: true,
                ..ListParams::default()
            };
            for c in store
                .list_credentials(&vault.id, &creds)
                .expect("list")
                .data
            {
                credentials.insert(c.id, (c.mcp_server_url, c.status == Status::Active));
            }
            let active = vault.status == Status::Active;
            out.insert(
                vault.id.clone(),
                ModelVault {
                    active,
                    credentials,
                },
            );
        }
        if !page.has_more {
            return out;
        }
        params.after_id = page.last_id;
    }
}

/// The child: opens the store, then changes it (and in `rotate` mode rotates the key)
/// until killed, announcing each change before it and acknowledging it after.
fn child(mode: &str) {
    let var = |name: &str| std::env::var(name).expect("child environment");
    let (store_dir, keys) = (
        PathBuf::from(var("CRASH_STORE")),
        PathBuf::from(var("CRASH_KEYS")),
    );
    let mut key_n: u32 = var("CRASH_KEY_N").parse().expect("key number");
    let mut rng = StdRng::seed_from_u64(var("CRASH_SEED").parse().expect("seed"));
    let key = MasterKey::from_file(key_path(&keys, key_n)).expect("key file");
    let store = VaultStore::open(&store_dir, key).expect("child open");
    let mut vaults = all_vaults(&store);
    say("ready");
    loop {
        if mode == "rotate" {
            key_n += 1;
            let path = key_path(&keys, key_n);
            let _ = std::fs::remove_file(&path);
            let key = MasterKey::generate();
            // The key is on disk before the rotation starts: the parent may need it.
            key.write_to_file(&path).expect("key file");
            say(&format!("plan rotate {key_n}"));
            store.rotate_key(key).expect("rotate");
            say("done");
        }
        child_step(&store, &mut vaults, &mut rng);
    }
}

fn child_step(store: &VaultStore, vaults: &mut BTreeMap<String, ModelVault>, rng: &mut StdRng) {
    let url = || format!("https://s{}.example/mcp", rand::random::<u32>());
    let active: Vec<String> = vaults
        .iter()
        .filter(|(_, v)| v.active)
        .map(|(id, _)| id.clone())
        .collect();
    let choice = rng.gen_range(0..10);
    if active.is_empty() || (choice < 4 && vaults.len() < MAX_VAULTS) {
        let urls: Vec<String> = (0..rng.gen_range(1..4)).map(|_| url()).collect();
        let name = format!("v{}", rng.gen::<u16>());
        say(&format!("plan create {name} {}", urls.join(" ")));
        let creds: Vec<(&str, String)> = urls.iter().map(|u| (u.as_str(), token_for(u))).collect();
        let creds: Vec<(&str, &str)> = creds.iter().map(|(u, t)| (*u, t.as_str())).collect();
        let v = create_vault(store, &name, &creds);
        let ids: Vec<String> = urls.iter().map(|u| credential_id(&v, u)).collect();
        say(&format!("done {} {}", v.id, ids.join(" ")));
        let credentials = ids
            .into_iter()
            .zip(urls)
            .map(|(i, u)| (i, (u, true)))
            .collect();
        vaults.insert(
            v.id,
            ModelVault {
                active: true,
                credentials,
            },
        );
        return;
    }
    let vault = active.iter().choose(rng).expect("an active vault").clone();
    let live: Vec<String> = vaults[&vault]
        .credentials
        .iter()
        .filter(|(_, c)| c.1)
        .map(|(id, _)| id.clone())
        .collect();
    match choice {
        0..=4 if live.len() < 5 => {
            // Half the time a URL archived in this vault: two records, one token key.
            let creds = &vaults[&vault].credentials;
            let in_use = |u: &String| creds.values().any(|c| c.1 && c.0 == *u);
            let archived = creds.values().map(|c| &c.0).filter(|u| !in_use(u));
            let url = match archived.choose(rng) {
                Some(reused) if rng.gen_bool(0.5) => reused.clone(),
                _ => url(),
            };
            say(&format!("plan add {vault} {url}"));
            let c = store
                .add_credential(&vault, credential(&url, &token_for(&url)))
                .expect("add credential");
            say(&format!("done {}", c.id));
            let v = vaults.get_mut(&vault).expect("vault");
            v.credentials.insert(c.id, (url, true));
        }
        5 | 6 if !live.is_empty() => {
            let id = live.iter().choose(rng).expect("a credential").clone();
            say(&format!("plan archive_credential {vault} {id}"));
            store
                .archive_credential(&vault, &id)
                .expect("archive credential");
            say("done");
            let v = vaults.get_mut(&vault).expect("vault");
            v.credentials.get_mut(&id).expect("credential").1 = false;
        }
        7 => {
            say(&format!("plan archive_vault {vault}"));
            store.archive_vault(&vault).expect("archive vault");
            say("done");
            let v = vaults.get_mut(&vault).expect("vault");
            v.active = false;
            v.credentials.values_mut().for_each(|c| c.1 = false);
        }
        _ => {
            let victim = vaults.keys().choose(rng).expect("a vault").clone();
            say(&format!("plan delete {victim}"));
            store.delete_vault(&victim).expect("delete");
            say("done");
            vaults.remove(&victim);
        }
    }
}
