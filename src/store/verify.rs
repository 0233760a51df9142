//! `verify`: walks every record and index entry and reports what disagrees or fails to
//! open, without revealing a token.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::id::{Kind, RawId};
use crate::backend::layout::{index_key, Account};
use crate::backend::{RowKey, Table, Value};
use crate::crypto::codec::{decode, decode_as, decode_signed, V2};
use crate::crypto::seal::Keyring;
use crate::error::Result;
use crate::store::records::{CredentialRecord, IndexEntry, SecretField, TokenEntry, VaultRecord};
use crate::store::{Storage, VaultStore};

/// What [`VaultStore::verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Vault records read, all accounts.
    pub vaults: u64,
    /// Credential records read.
    pub credentials: u64,
    /// Sealed tokens opened successfully.
    pub tokens_opened: u64,
    /// One line per inconsistency or integrity failure, naming the record.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// No problem found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

type IndexMap = BTreeMap<Vec<u8>, IndexEntry>;

impl VaultStore {
    /// Checks the whole store (every account): each record decodes; each list index
    /// holds exactly the items it should, with their current name and time; each active
    /// credential has exactly one token, which opens; archived ones have none; each
    /// vault's count of active credentials is right.
    ///
    /// Reads a consistent picture only while no one writes; run it on a quiet store.
    ///
    /// # Errors
    /// Only if the storage engine fails to read; damage is reported in the report.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        let mut problem = |text: String| report.problems.push(text);
        // sled keeps its own list indexes; PostgreSQL's are the database's business.
        let mut indexes = match &self.inner.storage {
            Storage::Sled(sled) => Some((
                read_index(&sled.engine.list_all, "list_all", &mut problem)?,
                read_index(&sled.engine.list_active, "list_active", &mut problem)?,
            )),
            #[cfg(feature = "postgres")]
            Storage::Postgres(_) => None,
        };
        let keys = self.keys();
        let mut tokens: BTreeMap<Vec<u8>, TokenEntry> = BTreeMap::new();
        for (row, bytes) in self.walk(Table::Tokens)? {
            let key = row.place();
            match decode_as::<TokenEntry>(V2, &bytes, || token_name(&key)) {
                Ok(entry) => drop(tokens.insert(key.to_vec(), entry)),
                Err(e) => problem(e.to_string()),
            }
        }

        let mut active_counts: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
        let mut vault_keys = BTreeSet::new();
        for (row, bytes) in self.walk(Table::Vaults)? {
            let key = row.place();
            report.vaults += 1;
            let Some((account, id)) = Account::split_vault_key(&key) else {
                problem("a vault key is malformed".into());
                continue;
            };
            let name = id.format(Kind::Vault);
            vault_keys.insert(key.to_vec());
            match decode_signed::<VaultRecord>(&bytes, &keys, &key, || format!("vault {name}")) {
                Ok(record) => {
                    let scope = Account::new(&account).vault_scope();
                    let expect = record.index_entry();
                    let item = (
                        scope.as_slice(),
                        id,
                        &expect,
                        record.is_active(),
                        name.as_str(),
                    );
                    check_item(indexes.as_mut(), item, &mut problem);
                    active_counts.insert(key.to_vec(), record.active_credentials);
                }
                Err(e) => problem(e.to_string()),
            }
        }

        let mut counted: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
        for (row, bytes) in self.walk(Table::Credentials)? {
            let key = row.place();
            report.credentials += 1;
            let Some((account_name, vault, id)) = Account::split_credential_key(&key) else {
                problem("a credential key is malformed".into());
                continue;
            };
            let account = Account::new(&account_name);
            let name = id.format(Kind::Credential);
            if !vault_keys.contains(&account.vault(vault)) {
                problem(format!(
                    "credential {name} belongs to a vault that does not exist"
                ));
            }
            let record = match decode_signed::<CredentialRecord>(&bytes, &keys, &key, || {
                format!("credential {name}")
            }) {
                Ok(record) => record,
                Err(e) => {
                    problem(e.to_string());
                    continue;
                }
            };
            let scope = account.credential_scope(vault);
            let expect = record.index_entry();
            let item = (
                scope.as_slice(),
                id,
                &expect,
                record.is_active(),
                name.as_str(),
            );
            check_item(indexes.as_mut(), item, &mut problem);
            if crate::api::validate::mcp_server_url("", &record.mcp_server_url)
                .ok()
                .as_ref()
                != Some(&record.lookup_url)
            {
                problem(format!(
                    "credential {name}: its URL does not match its lookup URL"
                ));
            }
            let token_key = account.token(vault, &record.lookup_url);
            // An archived credential shares its URL's key with a later active one: the
            // token there is the archived one's only if it names it.
            let token = match tokens.get(&token_key) {
                Some(entry) if record.is_active() || entry.credential_id == id.bytes() => {
                    tokens.remove(&token_key)
                }
                _ => None,
            };
            let handle = self.for_account(&account_name);
            match (record.is_active(), token) {
                (true, None) => problem(format!("active credential {name} has no token")),
                (false, Some(_)) => {
                    problem(format!("archived credential {name} still has a token"))
                }
                (false, None) => {}
                (true, Some(entry)) => {
                    *counted.entry(account.vault(vault)).or_default() += 1;
                    if entry.credential_id != id.bytes() || entry.binding != record.binding {
                        problem(format!(
                            "the token stored for credential {name} belongs to another record"
                        ));
                    } else {
                        match secrets_open(&handle, &keys, vault, id, &record, &entry) {
                            Ok(()) => report.tokens_opened += 1,
                            Err(e) => problem(e.to_string()),
                        }
                    }
                }
            }
        }
        for (key, entry) in tokens {
            let id = RawId(u128::from_be_bytes(entry.credential_id)).format(Kind::Credential);
            let url = Account::split_token_key(&key)
                .map(|(_, _, url)| url)
                .unwrap_or_default();
            problem(format!(
                "a token for {url} (credential {id}) has no active credential record"
            ));
        }
        for (key, stored) in active_counts {
            let actual = counted.get(&key).copied().unwrap_or(0);
            if stored != actual {
                let id = Account::split_vault_key(&key)
                    .map(|(_, id)| id.format(Kind::Vault))
                    .unwrap_or_default();
                problem(format!(
                    "vault {id} counts {stored} active credentials but has {actual}"
                ));
            }
        }
        if let Some((all, active)) = indexes {
            for (tree, left) in [("list_all", all), ("list_active", active)] {
                for _ in left {
                    problem(format!(
                        "{tree} has an entry for an item that does not exist"
                    ));
                }
            }
        }
        Ok(report)
    }

    /// Every row of a table, every account, read in batches.
    pub(crate) fn walk(&self, table: Table) -> Result<Vec<(RowKey, Value)>> {
        const BATCH: usize = 1024;
        let mut rows: Vec<(RowKey, Value)> = Vec::new();
        loop {
            let after = rows.last().map(|(key, _)| key);
            let batch = self.backend().reads()?.scan(table, after, BATCH)?;
            let done = batch.len() < BATCH;
            rows.extend(batch);
            if done {
                return Ok(rows);
            }
        }
    }
}

/// Checks an item's `created_at` against the time in its id and, on sled, its list
/// index entries.
fn check_item(
    indexes: Option<&mut (IndexMap, IndexMap)>,
    item: Indexed<'_>,
    problem: &mut impl FnMut(String),
) {
    let (_, id, expect, _, name) = item;
    if expect.created_at / 1000 != id.millis() {
        problem(format!(
            "{name}: created_at does not match the time in its id"
        ));
    }
    if let Some((all, active)) = indexes {
        check_index(all, active, item, problem);
    }
}

/// Opens every secret of a token entry (the plaintexts are dropped, zeroized, at once).
fn secrets_open(
    handle: &VaultStore,
    keys: &Keyring,
    vault: RawId,
    id: RawId,
    record: &CredentialRecord,
    entry: &TokenEntry,
) -> Result<()> {
    let fields = [
        (SecretField::AccessToken, Some(&entry.access_token)),
        (SecretField::RefreshToken, entry.refresh_token.as_ref()),
        (SecretField::ClientSecret, entry.client_secret.as_ref()),
    ];
    for (field, sealed) in fields {
        if let Some(sealed) = sealed {
            handle.open_secret(keys, vault, id, record, field, sealed)?;
        }
    }
    Ok(())
}

fn read_index(tree: &sled::Tree, name: &str, problem: &mut impl FnMut(String)) -> Result<IndexMap> {
    let mut map = IndexMap::new();
    for item in tree.iter() {
        let (key, bytes) = item?;
        match decode::<IndexEntry>(&bytes, || {
            format!("the {name} entry of {}", item_name(&key))
        }) {
            Ok(entry) => drop(map.insert(key.to_vec(), entry)),
            Err(e) => problem(e.to_string()),
        }
    }
    Ok(map)
}

/// "the token for URL in vault ID", from a `tokens` key.
fn token_name(key: &[u8]) -> String {
    match Account::split_token_key(key) {
        Some((_, vault, url)) => {
            format!("the token for {url} in vault {}", vault.format(Kind::Vault))
        }
        None => "a token with a malformed key".to_owned(),
    }
}

/// The item a list index key points at: after the account, `v` and a vault id, or `c`,
/// a vault id and a credential id.
fn item_name(key: &[u8]) -> String {
    let item = Account::split_account(key).and_then(|(_, rest)| match rest {
        [b'v', id @ ..] => Some(RawId::from_slice(id)?.format(Kind::Vault)),
        [b'c', ids @ ..] if ids.len() == 2 * RawId::LEN => {
            Some(RawId::from_slice(&ids[RawId::LEN..])?.format(Kind::Credential))
        }
        _ => None,
    });
    item.unwrap_or_else(|| "a malformed key".to_owned())
}

/// An item as its list index entries should show it: (scope, id, entry, active, name).
type Indexed<'a> = (&'a [u8], RawId, &'a IndexEntry, bool, &'a str);

/// Checks (and takes out of the maps) an item's sled index entries: in `list_all`
/// always, in `list_active` exactly when active, each with the record's time and name.
fn check_index(
    all: &mut IndexMap,
    active: &mut IndexMap,
    (scope, id, expect, is_active, name): Indexed<'_>,
    problem: &mut impl FnMut(String),
) {
    let key = index_key(scope, id);
    match all.remove(&key) {
        Some(entry) if &entry == expect => {}
        Some(_) => problem(format!("{name}: its list_all entry is stale")),
        None => problem(format!("{name}: missing from list_all")),
    }
    match (active.remove(&key), is_active) {
        (Some(entry), true) if &entry == expect => {}
        (Some(_), true) => problem(format!("{name}: its list_active entry is stale")),
        (None, true) => problem(format!("{name}: active but missing from list_active")),
        (Some(_), false) => problem(format!("{name}: archived but still in list_active")),
        (None, false) => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::secrecy::SecretString;
    use crate::{CreateCredential, CreateVault, MasterKey, Protocol, VaultStore};

    fn credential(url: &str) -> CreateCredential {
        let token = SecretString::from("fake-token".to_owned());
        CreateCredential::static_bearer(url, Protocol::Sse, token)
    }

    #[test]
    fn a_url_archived_then_added_again_is_clean() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = VaultStore::open(dir.path(), MasterKey::generate()).expect("open");
        let url = "https://a.example/mcp";
        let vault = store
            .create_vault(CreateVault::new("v", vec![credential(url)]))
            .expect("create");
        let first = &vault.credentials.as_ref().expect("credentials")[0].id;
        store.archive_credential(&vault.id, first).expect("archive");
        store
            .add_credential(&vault.id, credential(url))
            .expect("add again");
        let report = store.verify().expect("verify");
        assert!(report.is_ok(), "{:?}", report.problems);
        assert_eq!(report.tokens_opened, 1);
    }
}
