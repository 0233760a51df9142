//! The store the `ids` and `json` targets share across inputs: one vault with one
//! credential, opened once (opening per input would be most of the cost).

use std::sync::OnceLock;

use vaultstore::secrecy::SecretString;
use vaultstore::{CreateCredential, CreateVault, Durability, MasterKey, Protocol, VaultStore};

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub store: VaultStore,
    pub vault: String,
    pub credential: String,
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = VaultStore::builder(dir.path())
            .key(MasterKey::from_bytes([1; 32]))
            .durability(Durability::Periodic)
            .open()
            .expect("open");
        let token = SecretString::from("fake-token".to_owned());
        let cred = CreateCredential::static_bearer("https://a.example/mcp", Protocol::Sse, token);
        let vault = store
            .create_vault(CreateVault::new("v", vec![cred]))
            .expect("create");
        let credential = vault.credentials.as_ref().expect("credentials")[0]
            .id
            .clone();
        Fixture {
            _dir: dir,
            store,
            vault: vault.id,
            credential,
        }
    })
}
