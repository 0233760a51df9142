//! Guards the whole API against a plain in-memory model: random sequences of creates,
//! adds, archives, deletes, renames, list pages, session lookups and reopens, in two
//! accounts, applied to both and compared after every step, with `verify()` checking
//! that records, indexes and tokens agree. `PROPTEST_CASES` raises the case count.

mod common;
use common::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use vaultstore::{CreateVault, ListParams, MasterKey, Status, UpdateVault, VaultStore};

const ACCOUNTS: [&str; 2] = ["default", "acme"];
const NAMES: [&str; 4] = ["alpha", "Beta", "ALPHA-two", "gamma"];
/// URLs 0 and 2 are one server in normal form.
const URLS: [&str; 4] = [
    "https://a.example/mcp",
    "https://b.example/mcp",
    "HTTPS://A.EXAMPLE:443/mcp",
    "https://c.example/x",
];
const SERVER: [usize; 4] = [0, 1, 0, 2];
const MAX_ACTIVE: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    CreateVault {
        acct: usize,
        name: usize,
        urls: Vec<usize>,
    },
    AddCredential {
        acct: usize,
        vault: usize,
        url: usize,
    },
    ArchiveVault {
        acct: usize,
        vault: usize,
    },
    DeleteVault {
        acct: usize,
        vault: usize,
    },
    ArchiveCredential {
        acct: usize,
        vault: usize,
        cred: usize,
    },
    DeleteCredential {
        acct: usize,
        vault: usize,
        cred: usize,
    },
    Rename {
        acct: usize,
        vault: usize,
        name: usize,
    },
    ListVaults {
        acct: usize,
        limit: u32,
        archived: bool,
        name: Option<usize>,
        after: Option<usize>,
    },
    ListCredentials {
        acct: usize,
        vault: usize,
        limit: u32,
        archived: bool,
    },
    Resolve {
        acct: usize,
        vaults: Vec<usize>,
        url: usize,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let acct = 0..ACCOUNTS.len();
    let pick = 0..8usize;
    prop_oneof![
        3 => (acct.clone(), 0..4usize, prop::collection::vec(0..4usize, 0..5))
            .prop_map(|(acct, name, urls)| Op::CreateVault { acct, name, urls }),
        3 => (acct.clone(), pick.clone(), 0..4usize).prop_map(|(acct, vault, url)| Op::AddCredential { acct, vault, url }),
        1 => (acct.clone(), pick.clone()).prop_map(|(acct, vault)| Op::ArchiveVault { acct, vault }),
        1 => (acct.clone(), pick.clone()).prop_map(|(acct, vault)| Op::DeleteVault { acct, vault }),
        2 => (acct.clone(), pick.clone(), pick.clone()).prop_map(|(acct, vault, cred)| Op::ArchiveCredential { acct, vault, cred }),
        1 => (acct.clone(), pick.clone(), pick.clone()).prop_map(|(acct, vault, cred)| Op::DeleteCredential { acct, vault, cred }),
        1 => (acct.clone(), pick.clone(), 0..4usize).prop_map(|(acct, vault, name)| Op::Rename { acct, vault, name }),
        2 => (acct.clone(), 1..4u32, any::<bool>(), prop::option::of(0..4usize), prop::option::of(pick.clone()))
            .prop_map(|(acct, limit, archived, name, after)| Op::ListVaults { acct, limit, archived, name, after }),
        2 => (acct.clone(), pick.clone(), 1..4u32, any::<bool>())
            .prop_map(|(acct, vault, limit, archived)| Op::ListCredentials { acct, vault, limit, archived }),
        3 => (acct.clone(), prop::collection::vec(pick.clone(), 0..3), 0..4usize)
            .prop_map(|(acct, vaults, url)| Op::Resolve { acct, vaults, url }),
        1 => Just(Op::Reopen),
    ]
}

#[derive(Clone, Debug)]
struct MCred {
    id: String,
    server: usize,
    url: usize,
    token: String,
    archived: bool,
}

#[derive(Clone, Debug)]
struct MVault {
    acct: usize,
    name: String,
    archived: bool,
    creds: Vec<MCred>,
}

impl MVault {
    fn active(&self) -> impl Iterator<Item = &MCred> {
        self.creds.iter().filter(|c| !c.archived)
    }
}

/// The model: vaults by id (deleted ones removed), and every id ever issued so that
/// operations also target deleted and foreign ids.
#[derive(Default)]
struct Model {
    vaults: BTreeMap<String, MVault>,
    issued: Vec<String>,
    tokens: usize,
}

impl Model {
    fn vault_id(&self, i: usize) -> String {
        self.issued
            .get(i % self.issued.len().max(1))
            .cloned()
            .unwrap_or_else(|| "vault_none".into())
    }

    /// The vault as `acct` sees it (another account's vault is not found).
    fn visible(&self, acct: usize, id: &str) -> Option<&MVault> {
        self.vaults.get(id).filter(|v| v.acct == acct)
    }

    fn cred_id(&self, acct: usize, vault: &str, i: usize) -> String {
        match self.visible(acct, vault) {
            Some(v) if !v.creds.is_empty() => v.creds[i % v.creds.len()].id.clone(),
            _ => "vcred_none".into(),
        }
    }

    fn next_token(&mut self) -> String {
        self.tokens += 1;
        format!("token-{}", self.tokens)
    }
}

/// The outcome of an operation: Ok, or the API error type.
fn outcome<T>(r: &Result<T, vaultstore::Error>) -> Result<(), &'static str> {
    r.as_ref().map(|_| ()).map_err(|e| e.api_type())
}

fn open_store(backend: &Backend, place: &Place) -> VaultStore {
    backend
        .builder(place)
        .key(MasterKey::from_bytes(KEY))
        .max_active_credentials(MAX_ACTIVE as u32)
        .open()
        .expect("open")
}

fn run(backend: &Backend, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let place = backend.place();
    let mut root = Some(open_store(backend, &place));
    let mut m = Model::default();
    for op in ops {
        let handles: Vec<VaultStore> = ACCOUNTS
            .iter()
            .map(|a| root.as_ref().expect("open").account(a).expect("account"))
            .collect();
        match op.clone() {
            Op::CreateVault { acct, name, urls } => {
                let mut servers: Vec<usize> = urls.iter().map(|u| SERVER[*u]).collect();
                let tokens: Vec<String> = urls.iter().map(|_| m.next_token()).collect();
                let creds = urls
                    .iter()
                    .zip(&tokens)
                    .map(|(u, t)| credential(URLS[*u], t))
                    .collect();
                let got = handles[acct].create_vault(CreateVault::new(NAMES[name], creds));
                servers.sort();
                let dup = servers.windows(2).any(|w| w[0] == w[1]);
                let want = if urls.is_empty() || urls.len() > MAX_ACTIVE {
                    Err("invalid_request_error")
                } else if dup {
                    Err("conflict_error")
                } else {
                    Ok(())
                };
                prop_assert_eq!(outcome(&got), want, "{:?}", op);
                if let Ok(v) = got {
                    let creds = v.credentials.as_ref().expect("creds");
                    let creds = creds
                        .iter()
                        .zip(urls.iter().zip(tokens))
                        .map(|(c, (u, t))| MCred {
                            id: c.id.clone(),
                            server: SERVER[*u],
                            url: *u,
                            token: t,
                            archived: false,
                        });
                    m.issued.push(v.id.clone());
                    m.vaults.insert(
                        v.id,
                        MVault {
                            acct,
                            name: NAMES[name].into(),
                            archived: false,
                            creds: creds.collect(),
                        },
                    );
                }
            }
            Op::AddCredential { acct, vault, url } => {
                let id = m.vault_id(vault);
                let token = m.next_token();
                let got = handles[acct].add_credential(&id, credential(URLS[url], &token));
                let want = match m.visible(acct, &id) {
                    None => Err("not_found_error"),
                    Some(v) if v.archived || v.active().count() >= MAX_ACTIVE => {
                        Err("invalid_request_error")
                    }
                    Some(v) if v.active().any(|c| c.server == SERVER[url]) => Err("conflict_error"),
                    Some(_) => Ok(()),
                };
                prop_assert_eq!(outcome(&got), want, "{:?}", op);
                if let Ok(c) = got {
                    let v = m.vaults.get_mut(&id).expect("vault");
                    v.creds.push(MCred {
                        id: c.id,
                        server: SERVER[url],
                        url,
                        token,
                        archived: false,
                    });
                }
            }
            Op::ArchiveVault { acct, vault } => {
                let id = m.vault_id(vault);
                let got = handles[acct].archive_vault(&id);
                let want = match m.visible(acct, &id) {
                    None => Err("not_found_error"),
                    Some(v) if v.archived => Err("conflict_error"),
                    Some(_) => Ok(()),
                };
                prop_assert_eq!(outcome(&got), want, "{:?}", op);
                if got.is_ok() {
                    let v = m.vaults.get_mut(&id).expect("vault");
                    v.archived = true;
                    v.creds.iter_mut().for_each(|c| c.archived = true);
                }
            }
            Op::DeleteVault { acct, vault } => {
                let id = m.vault_id(vault);
                let got = handles[acct].delete_vault(&id);
                let want = if m.visible(acct, &id).is_some() {
                    Ok(())
                } else {
                    Err("not_found_error")
                };
                prop_assert_eq!(outcome(&got), want, "{:?}", op);
                if got.is_ok() {
                    m.vaults.remove(&id);
                }
            }
            Op::ArchiveCredential { acct, vault, cred } => {
                let id = m.vault_id(vault);
                let cid = m.cred_id(acct, &id, cred);
                let got = handles[acct].archive_credential(&id, &cid);
                let want = match m
                    .visible(acct, &id)
                    .and_then(|v| v.creds.iter().find(|c| c.id == cid))
                {
                    None => Err("not_found_error"),
                    Some(c) if c.archived => Err("conflict_error"),
                    Some(_) => Ok(()),
                };
                prop_assert_eq!(outcome(&got), want, "{:?}", op);
                if got.is_ok() {
                    let v = m.vaults.get_mut(&id).expect("vault");
                    v.creds
                        .iter_mut()
                        .filter(|c| c.id == cid)
                        .for_each(|c| c.archived = true);
                }
            }
            Op::DeleteCredential { acct, vault, cred } => {
                let id = m.vault_id(vault);
                let cid = m.cred_id(acct, &id, cred);
                let got = handles[acct].delete_credential(&id, &cid);
                let exists = m
                    .visible(acct, &id)
                    .is_some_and(|v| v.creds.iter().any(|c| c.id == cid));
                prop_assert_eq!(
                    outcome(&got),
                    if exists {
                        Ok(())
                    } else {
                        Err("not_found_error")
                    },
                    "{:?}",
                    op
                );
                if got.is_ok() {
                    m.vaults
                        .get_mut(&id)
                        .expect("vault")
                        .creds
                        .retain(|c| c.id != cid);
                }
            }
            Op::Rename { acct, vault, name } => {
                let id = m.vault_id(vault);
                let update = UpdateVault {
                    display_name: Some(NAMES[name].into()),
                    ..Default::default()
                };
                let got = handles[acct].update_vault(&id, update);
                let want = match m.visible(acct, &id) {
                    None => Err("not_found_error"),
                    Some(v) if v.archived => Err("invalid_request_error"),
                    Some(_) => Ok(()),
                };
                prop_assert_eq!(outcome(&got), want, "{:?}", op);
                if got.is_ok() {
                    m.vaults.get_mut(&id).expect("vault").name = NAMES[name].into();
                }
            }
            Op::ListVaults {
                acct,
                limit,
                archived,
                name,
                after,
            } => {
                let after = after.map(|i| m.vault_id(i)).filter(|id| id != "vault_none");
                let filter = name.map(|n| NAMES[n].to_lowercase());
                let params = ListParams {
                    limit: Some(limit),
                    include_archived: archived,
                    name: filter.clone(),
                    after_id: after.clone(),
                    ..Default::default()
                };
                let page = handles[acct].list_vaults(&params).expect("list");
                let mut want: Vec<&String> = m
                    .vaults
                    .iter()
                    .filter(|(_, v)| v.acct == acct && (archived || !v.archived))
                    .filter(|(_, v)| {
                        filter
                            .as_ref()
                            .is_none_or(|f| v.name.to_lowercase().contains(f.as_str()))
                    })
                    .filter(|(id, _)| after.as_ref().is_none_or(|a| id[6..] < a[6..]))
                    .map(|(id, _)| id)
                    .collect();
                want.reverse();
                prop_assert_eq!(page.has_more, want.len() > limit as usize, "{:?}", op);
                want.truncate(limit as usize);
                let want: Vec<String> = want.into_iter().cloned().collect();
                prop_assert_eq!(ids(&page.data), want, "{:?}", op);
            }
            Op::ListCredentials {
                acct,
                vault,
                limit,
                archived,
            } => {
                let id = m.vault_id(vault);
                let params = ListParams {
                    limit: Some(limit),
                    include_archived: archived,
                    ..Default::default()
                };
                let got = handles[acct].list_credentials(&id, &params);
                match m.visible(acct, &id) {
                    None => prop_assert_eq!(outcome(&got), Err("not_found_error")),
                    Some(v) => {
                        let page = got.expect("list");
                        let mut want: Vec<&String> = v
                            .creds
                            .iter()
                            .filter(|c| archived || !c.archived)
                            .map(|c| &c.id)
                            .collect();
                        want.reverse();
                        prop_assert_eq!(page.has_more, want.len() > limit as usize);
                        want.truncate(limit as usize);
                        let want: Vec<String> = want.into_iter().cloned().collect();
                        prop_assert_eq!(ids(&page.data), want, "{:?}", op);
                        for c in &page.data {
                            let mc = v.creds.iter().find(|x| x.id == c.id).expect("modelled");
                            prop_assert_eq!(&c.mcp_server_url, URLS[mc.url]);
                            prop_assert_eq!(c.status == Status::Archived, mc.archived);
                        }
                    }
                }
            }
            Op::Resolve { acct, vaults, url } => {
                let named: Vec<String> = vaults.iter().map(|v| m.vault_id(*v)).collect();
                let session = handles[acct].session(&named);
                let want_session = named.iter().try_for_each(|id| match m.visible(acct, id) {
                    None => Err("not_found_error"),
                    Some(v) if v.archived => Err("invalid_request_error"),
                    Some(_) => Ok(()),
                });
                // A missing vault is reported before an archived one only if it comes first.
                prop_assert_eq!(outcome(&session), want_session, "{:?}", op);
                if let Ok(session) = session {
                    let got = session.bearer_token(URLS[url]).expect("lookup");
                    let want = named.iter().find_map(|id| {
                        m.vaults[id]
                            .active()
                            .find(|c| c.server == SERVER[url])
                            .map(|c| c.token.clone())
                    });
                    use vaultstore::secrecy::ExposeSecret;
                    prop_assert_eq!(got.map(|t| t.expose_secret().to_owned()), want, "{:?}", op);
                }
            }
            Op::Reopen => {
                drop(handles);
                drop(root.take());
                root = Some(open_store(backend, &place));
            }
        }
        let store = root.as_ref().expect("open");
        let report = store.verify().expect("verify");
        prop_assert!(report.is_ok(), "after {:?}: {:?}", op, report.problems);
        prop_assert_eq!(report.vaults as usize, m.vaults.len());
        prop_assert_eq!(
            report.credentials as usize,
            m.vaults.values().map(|v| v.creds.len()).sum::<usize>()
        );
        prop_assert_eq!(
            report.tokens_opened as usize,
            m.vaults.values().map(|v| v.active().count()).sum::<usize>()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn the_store_behaves_like_the_model_on_sled(ops in prop::collection::vec(op(), 1..40)) {
        run(&Backend::Sled, ops)?;
    }
}

#[cfg(feature = "postgres")]
proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn the_store_behaves_like_the_model_on_postgres(ops in prop::collection::vec(op(), 1..40)) {
        run(&Backend::Postgres, ops)?;
    }
}
