//! Opening a store in PostgreSQL with each of the Builder's key sources and limits, as
//! on sled: a passphrase (its salt and cost kept in the database), a key file, a wrong
//! key, an unknown schema name, and the per-vault credential limit. (Accounts and
//! everything else run in the conformance suite.)
#![cfg(feature = "postgres")]

mod common;

use common::pg_support;
use vaultstore::secrecy::SecretString;
use vaultstore::{Builder, CreateVault, Error, KdfCost, MasterKey, VaultStore};

const CHEAP: KdfCost = KdfCost::insecure_for_tests(256, 1, 1);

fn builder(schema: &str) -> Builder {
    VaultStore::builder_postgres(&pg_support::conninfo()).schema(schema)
}

fn passphrase(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

#[test]
fn a_passphrase_store_reopens_with_its_passphrase_only() {
    let schema = pg_support::fresh_schema("passphrase");
    let store = builder(&schema)
        .kdf_cost(CHEAP)
        .allow_weak_passphrase()
        .passphrase(passphrase("correct horse battery"))
        .open()
        .expect("made");
    let vault = common::vault(&store, "p");
    drop(store);
    let again = builder(&schema)
        .passphrase(passphrase("correct horse battery"))
        .open()
        .expect("reopens");
    assert_eq!(again.get_vault(&vault.id).expect("get").display_name, "p");
    let wrong = builder(&schema)
        .passphrase(passphrase("wrong horse battery"))
        .open();
    assert!(matches!(wrong, Err(Error::WrongKey)), "{wrong:?}");
    let raw = builder(&schema).key(MasterKey::generate()).open();
    assert!(matches!(raw, Err(Error::WrongKey)), "{raw:?}");
}

#[test]
fn a_key_file_store_refuses_another_key_and_keeps_the_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("k");
    std::fs::write(&key_file, format!("{}\n", "ab".repeat(32))).expect("write key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let schema = pg_support::fresh_schema("key_file");
    let store = builder(&schema)
        .key_file(&key_file)
        .max_active_credentials(2)
        .open()
        .expect("made");
    let credentials = (0..3)
        .map(|i| common::credential(&format!("https://s{i}.example/mcp"), "t"))
        .collect();
    let err = store
        .create_vault(CreateVault::new("too many", credentials))
        .expect_err("over the limit");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    drop(store);
    let other = builder(&schema).key(MasterKey::generate()).open();
    assert!(matches!(other, Err(Error::WrongKey)), "{other:?}");
}

#[test]
fn a_bad_schema_name_is_refused_before_anything_is_made() {
    let err = builder("Robert'); DROP TABLE x; --")
        .key(MasterKey::generate())
        .open()
        .expect_err("refused");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("schema"), "{err}");
}
