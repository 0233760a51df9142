//! Model-based: a list of operations over a few vaults and servers, applied to the store
//! and to a plain in-memory model, compared after every step (answers, list pages,
//! resolved tokens, and `verify` for the indexes), with reopens and key rotations in
//! between.
#![no_main]

use std::sync::{Mutex, OnceLock};

use arbitrary::Arbitrary;
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{
    CreateCredential, CreateVault, Durability, Error, ListParams, MasterKey, Protocol, Status,
    VaultStore,
};

const SERVERS: u8 = 4;

#[derive(Arbitrary, Debug)]
enum Op {
    Create {
        name: u8,
        servers: Vec<u8>,
    },
    Add {
        vault: u8,
        server: u8,
    },
    ArchiveVault {
        vault: u8,
    },
    ArchiveCredential {
        vault: u8,
        credential: u8,
    },
    DeleteVault {
        vault: u8,
    },
    DeleteCredential {
        vault: u8,
        credential: u8,
    },
    List {
        limit: u8,
        after: Option<u8>,
        include_archived: bool,
    },
    Resolve {
        vaults: Vec<u8>,
        server: u8,
    },
    Reopen,
    /// Rotate to the key of all `key` bytes.
    Rotate {
        key: u8,
    },
}

struct MCredential {
    id: String,
    server: u8,
    token: String,
    active: bool,
    deleted: bool,
}

struct MVault {
    id: String,
    active: bool,
    deleted: bool,
    credentials: Vec<MCredential>,
}

#[derive(Default)]
struct Model {
    /// Every vault ever created, in creation (id) order; deleted ones stay as cursors.
    vaults: Vec<MVault>,
    tokens_made: u64,
}

fn url(server: u8) -> String {
    format!("https://s{}.example/mcp", server % SERVERS)
}

fn open(dir: &std::path::Path, key: u8) -> VaultStore {
    VaultStore::builder(dir)
        .key(MasterKey::from_bytes([key; 32]))
        // Periodic keeps fsyncs out of the loop; `Reopen` flushes first.
        .durability(Durability::Periodic)
        .flush_interval(std::time::Duration::from_secs(3600))
        .open()
        .expect("open")
}

/// An id the store never issued, for lookups of missing things.
const UNKNOWN_VAULT: &str = "vault_00000000000000000000000000000001";

impl Model {
    fn vault(&self, pick: u8) -> Option<usize> {
        match self.vaults.len() {
            0 => None,
            n => Some(usize::from(pick) % (n + 1)).filter(|&i| i < n),
        }
    }

    fn vault_id(&self, pick: u8) -> String {
        match self.vault(pick) {
            Some(i) => self.vaults[i].id.clone(),
            None => UNKNOWN_VAULT.to_owned(),
        }
    }

    fn live(&self, pick: u8) -> Option<&MVault> {
        self.vault(pick)
            .map(|i| &self.vaults[i])
            .filter(|v| !v.deleted)
    }

    fn new_token(&mut self) -> String {
        self.tokens_made += 1;
        format!("fake-token-{}", self.tokens_made)
    }
}

fn kind(result: &Result<impl Sized, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.api_type(),
    }
}

fn step(store: &VaultStore, model: &mut Model, op: &Op) {
    match op {
        Op::Create { name, servers } => {
            let servers: Vec<u8> = servers.iter().take(6).map(|s| s % SERVERS).collect();
            let tokens: Vec<String> = servers.iter().map(|_| model.new_token()).collect();
            let creds = servers
                .iter()
                .zip(&tokens)
                .map(|(s, t)| {
                    CreateCredential::static_bearer(
                        url(*s),
                        Protocol::Sse,
                        SecretString::from(t.clone()),
                    )
                })
                .collect();
            let result = store.create_vault(CreateVault::new(format!("v{name}"), creds));
            let mut unique = servers.clone();
            unique.sort();
            unique.dedup();
            let expect = if servers.is_empty() {
                "invalid_request_error"
            } else if unique.len() < servers.len() {
                "conflict_error"
            } else {
                "ok"
            };
            assert_eq!(kind(&result), expect, "{op:?}: {result:?}");
            if let Ok(v) = result {
                let credentials = v.credentials.expect("create answers credentials");
                let credentials = credentials
                    .into_iter()
                    .zip(servers.iter().zip(tokens))
                    .map(|(c, (s, t))| MCredential {
                        id: c.id,
                        server: *s,
                        token: t,
                        active: true,
                        deleted: false,
                    })
                    .collect();
                model.vaults.push(MVault {
                    id: v.id,
                    active: true,
                    deleted: false,
                    credentials,
                });
            }
        }
        Op::Add { vault, server } => {
            let server = server % SERVERS;
            let token = model.new_token();
            let cred = CreateCredential::static_bearer(
                url(server),
                Protocol::StreamableHttp,
                SecretString::from(token.clone()),
            );
            let result = store.add_credential(model.vault_id(*vault), cred);
            let expect = match model.live(*vault) {
                None => "not_found_error",
                Some(v) if !v.active => "invalid_request_error",
                Some(v) if v.credentials.iter().any(|c| c.active && c.server == server) => {
                    "conflict_error"
                }
                Some(_) => "ok",
            };
            assert_eq!(kind(&result), expect, "{op:?}: {result:?}");
            if let Ok(c) = result {
                let i = model.vault(*vault).expect("a live vault");
                model.vaults[i].credentials.push(MCredential {
                    id: c.id,
                    server,
                    token,
                    active: true,
                    deleted: false,
                });
            }
        }
        Op::ArchiveVault { vault } => {
            let result = store.archive_vault(model.vault_id(*vault));
            let expect = match model.live(*vault) {
                None => "not_found_error",
                Some(v) if !v.active => "conflict_error",
                Some(_) => "ok",
            };
            assert_eq!(kind(&result), expect, "{op:?}: {result:?}");
            if result.is_ok() {
                let i = model.vault(*vault).expect("live");
                let v = &mut model.vaults[i];
                v.active = false;
                v.credentials.iter_mut().for_each(|c| c.active = false);
            }
        }
        Op::DeleteVault { vault } => {
            let result = store.delete_vault(model.vault_id(*vault));
            let expect = if model.live(*vault).is_some() {
                "ok"
            } else {
                "not_found_error"
            };
            assert_eq!(kind(&result), expect, "{op:?}: {result:?}");
            if result.is_ok() {
                let i = model.vault(*vault).expect("live");
                model.vaults[i].deleted = true;
            }
        }
        Op::ArchiveCredential { vault, credential }
        | Op::DeleteCredential { vault, credential } => {
            let archive = matches!(op, Op::ArchiveCredential { .. });
            let live = model.live(*vault);
            let pick = live.and_then(|v| {
                let n = v.credentials.len();
                Some(usize::from(*credential) % n.max(1)).filter(|&i| i < n)
            });
            let cred_id = match (live, pick) {
                (Some(v), Some(i)) => v.credentials[i].id.clone(),
                _ => "vcred_00000000000000000000000000000001".to_owned(),
            };
            let vault_id = model.vault_id(*vault);
            let found = live
                .zip(pick)
                .map(|(v, i)| &v.credentials[i])
                .filter(|c| !c.deleted);
            let (result, expect) = if archive {
                let expect = match found {
                    None => "not_found_error",
                    Some(c) if !c.active => "conflict_error",
                    Some(_) => "ok",
                };
                (kind(&store.archive_credential(&vault_id, &cred_id)), expect)
            } else {
                let expect = if found.is_some() {
                    "ok"
                } else {
                    "not_found_error"
                };
                (kind(&store.delete_credential(&vault_id, &cred_id)), expect)
            };
            assert_eq!(result, expect, "{op:?}");
            if result == "ok" {
                let i = model.vault(*vault).expect("live");
                let v = &mut model.vaults[i];
                let c = &mut v.credentials[pick.expect("picked")];
                c.active = false;
                c.deleted |= !archive;
            }
        }
        Op::List {
            limit,
            after,
            include_archived,
        } => {
            let params = ListParams {
                limit: Some(u32::from(*limit % 12)),
                after_id: after.map(|a| model.vault_id(a)),
                include_archived: *include_archived,
                ..ListParams::default()
            };
            let result = store.list_vaults(&params);
            if *limit % 12 == 0 {
                assert_eq!(kind(&result), "invalid_request_error");
                return;
            }
            let page = result.expect("list");
            let mut expected: Vec<&str> = model
                .vaults
                .iter()
                .rev()
                .filter(|v| !v.deleted && (v.active || *include_archived))
                .filter(|v| params.after_id.as_ref().is_none_or(|a| v.id < *a))
                .map(|v| v.id.as_str())
                .collect();
            let has_more = expected.len() > usize::from(*limit % 12);
            expected.truncate(usize::from(*limit % 12));
            let got: Vec<&str> = page.data.iter().map(|v| v.id.as_str()).collect();
            assert_eq!(got, expected, "{op:?}");
            assert_eq!(page.has_more, has_more, "{op:?}");
            for v in &page.data {
                let m = model.vaults.iter().find(|m| m.id == v.id).expect("known");
                assert_eq!(v.status == Status::Active, m.active);
            }
        }
        Op::Resolve { vaults, server } => {
            let picks: Vec<u8> = vaults.iter().take(4).copied().collect();
            let ids: Vec<String> = picks.iter().map(|p| model.vault_id(*p)).collect();
            let result = store.session(&ids);
            let refusal = picks.iter().find_map(|p| match model.live(*p) {
                None => Some("not_found_error"),
                Some(v) if !v.active => Some("invalid_request_error"),
                Some(_) => None,
            });
            assert_eq!(kind(&result), refusal.unwrap_or("ok"), "{op:?}");
            let Ok(session) = result else { return };
            let server = server % SERVERS;
            let expected = picks.iter().find_map(|p| {
                let v = model.live(*p)?;
                v.credentials
                    .iter()
                    .find(|c| c.active && c.server == server)
            });
            let token = session.bearer_token(&url(server)).expect("resolve");
            assert_eq!(
                token.as_ref().map(|t| t.expose_secret()),
                expected.map(|c| c.token.as_str()),
                "{op:?}"
            );
        }
        // Handled by the loop, which owns the store.
        Op::Reopen | Op::Rotate { .. } => {}
    }
}

/// `verify` is clean and counts what the model holds.
fn check(store: &VaultStore, model: &Model) {
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    let live = model.vaults.iter().filter(|v| !v.deleted);
    assert_eq!(report.vaults, live.clone().count() as u64);
    let creds = live
        .clone()
        .flat_map(|v| v.credentials.iter().filter(|c| !c.deleted));
    assert_eq!(report.credentials, creds.clone().count() as u64);
    assert_eq!(
        report.tokens_opened,
        creds.filter(|c| c.active).count() as u64
    );
}

/// The store every input shares, its directory and the byte its key is made of.
struct Shared {
    dir: tempfile::TempDir,
    store: Option<VaultStore>,
    key: u8,
}

/// One store for every input (opening a new one per input is most of the cost); each
/// input deletes what it made, so the next starts from an empty store.
fn shared() -> &'static Mutex<Shared> {
    static SHARED: OnceLock<Mutex<Shared>> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Some(open(dir.path(), 3));
        Mutex::new(Shared { dir, store, key: 3 })
    })
}

libfuzzer_sys::fuzz_target!(|ops: Vec<Op>| {
    let mut guard = shared().lock().unwrap_or_else(|p| p.into_inner());
    let shared = &mut *guard;
    let mut model = Model::default();
    for op in ops.iter().take(64) {
        match op {
            Op::Reopen => {
                let store = shared.store.take().expect("open store");
                store.flush().expect("flush");
                // Dropping the only handle closes the store and releases its lock.
                drop(store);
                shared.store = Some(open(shared.dir.path(), shared.key));
            }
            Op::Rotate { key } => {
                let store = shared.store.as_ref().expect("open store");
                store
                    .rotate_key(MasterKey::from_bytes([*key; 32]))
                    .expect("rotate");
                shared.key = *key;
            }
            _ => step(shared.store.as_ref().expect("open store"), &mut model, op),
        }
        check(shared.store.as_ref().expect("open store"), &model);
    }
    let store = shared.store.as_ref().expect("open store");
    for vault in model.vaults.iter().filter(|v| !v.deleted) {
        store.delete_vault(&vault.id).expect("clean up");
    }
});
