//! Shared set-up for the integration tests.
#![allow(dead_code)]

use tempfile::TempDir;

#[cfg(feature = "postgres")]
#[path = "../pg_support/mod.rs"]
pub mod pg_support;
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

/// The conninfo of the tests' PostgreSQL server (started on first use).
#[cfg(feature = "postgres")]
pub fn pg_conninfo() -> String {
    pg_support::conninfo()
}

/// A session lookup's outcome, the token dropped.
pub fn resolve_result(store: &VaultStore, vault_id: &str, url: &str) -> vaultstore::Result<()> {
    store.session(&[vault_id])?.bearer_token(url).map(drop)
}

/// The backends every conformance test runs on (see [`conformance!`]).
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sled,
    #[cfg(feature = "postgres")]
    Postgres,
}

/// What keeps a test's store alive: its directory, or its schema.
pub enum Place {
    Dir(TempDir),
    #[cfg(feature = "postgres")]
    Schema(String),
}

impl Backend {
    /// A fresh, empty store.
    pub fn store(&self) -> (Place, VaultStore) {
        let place = self.place();
        let store = self.builder(&place).open().expect("open store");
        (place, store)
    }

    /// A new empty place for a store.
    pub fn place(&self) -> Place {
        match self {
            Backend::Sled => Place::Dir(tempfile::tempdir().expect("temp dir")),
            #[cfg(feature = "postgres")]
            Backend::Postgres => Place::Schema(pg_support::fresh_schema("store")),
        }
    }

    /// Options for the store at `place`, with the tests' key.
    pub fn builder(&self, place: &Place) -> vaultstore::Builder {
        let builder = match place {
            Place::Dir(dir) => VaultStore::builder(dir.path()),
            #[cfg(feature = "postgres")]
            Place::Schema(schema) => {
                VaultStore::builder_postgres(&pg_support::conninfo()).schema(schema)
            }
        };
        builder.key(MasterKey::from_bytes(KEY))
    }
}

/// Runs each named test, `fn name(backend: &Backend)`, once on every backend: one
/// suite, not a copy per backend.
#[macro_export]
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod on_sled {
            $(
                #[test]
                fn $test() {
                    super::$test(&$crate::common::Backend::Sled)
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod on_postgres {
            $(
                #[test]
                fn $test() {
                    super::$test(&$crate::common::Backend::Postgres)
                }
            )*
        }
    };
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
