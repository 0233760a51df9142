//! Shared set-up for the integration tests.
#![allow(dead_code)]

use tempfile::TempDir;
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{CreateCredential, CreateVault, MasterKey, Protocol, Vault, VaultStore};

pub const KEY: [u8; 32] = [7; 32];

/// A fresh store in a temporary directory (kept alive by the returned guard).
pub fn store() -> (TempDir, VaultStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir);
    (dir, store)
}

pub fn open(dir: &TempDir) -> VaultStore {
    VaultStore::open(dir.path(), MasterKey::from_bytes(KEY)).expect("open store")
}

pub fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

pub fn credential(url: &str, token: &str) -> CreateCredential {
    CreateCredential::static_bearer(url, Protocol::StreamableHttp, secret(token))
}

/// A vault named `name` with one credential for `url` holding `token`.
pub fn vault_with(store: &VaultStore, name: &str, url: &str, token: &str) -> Vault {
    store
        .create_vault(CreateVault::new(name, vec![credential(url, token)]))
        .expect("create vault")
}

/// A vault with one credential for a URL derived from its name.
pub fn vault(store: &VaultStore, name: &str) -> Vault {
    vault_with(
        store,
        name,
        &format!("https://{name}.example.com/mcp"),
        &format!("token-{name}"),
    )
}

/// The token a session over `vault_ids` resolves for `url`, exposed for comparison.
pub fn resolve(store: &VaultStore, vault_ids: &[&str], url: &str) -> Option<String> {
    let session = store.session(vault_ids).expect("session");
    session
        .bearer_token(url)
        .expect("lookup")
        .map(|t| t.expose_secret().to_owned())
}

pub fn ids<T: HasId>(items: &[T]) -> Vec<String> {
    items.iter().map(|i| i.id().to_owned()).collect()
}

pub trait HasId {
    fn id(&self) -> &str;
}

impl HasId for Vault {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for vaultstore::VaultCredential {
    fn id(&self) -> &str {
        &self.id
    }
}
