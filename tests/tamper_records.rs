//! Guards that an edited or truncated record is reported as corruption naming it, and
//! that editing a credential's URL on disk never sends its token to another server.

mod common_robust;

use common_robust::*;
use tempfile::TempDir;
use vaultstore::ListParams;

const A: &str = "https://a.example/mcp";
/// As long as `A`, so a record's URL can be swapped for it in place.
const C: &str = "https://c.example/mcp";
const SECRETS: &[&str] = &["fake-token-a"];

struct Fixture {
    dir: TempDir,
    vault: String,
    cred: String,
}

/// A closed store holding one vault with one credential for `A`, edited by `edit`.
fn tampered(edit: impl FnOnce(&sled::Db, &str, &str)) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let v = create_vault(&store, "main", &[(A, "fake-token-a")]);
    drop(store);
    let cred = credential_id(&v, A);
    edit_raw(dir.path(), |db| edit(db, &v.id, &cred));
    Fixture {
        dir,
        vault: v.id,
        cred,
    }
}

fn truncate(db: &sled::Db, tree_name: &str, key: &[u8]) {
    let t = tree(db, tree_name);
    let value = get(&t, key);
    put(&t, key, value[..value.len() / 2].to_vec());
}

fn assert_verify_names(f: &Fixture, record: &str) {
    let problems = problems(&open(f.dir.path()));
    assert!(
        problems.iter().any(|p| p.contains(record)),
        "verify should name {record}: {problems:?}"
    );
    assert_no_secret(&format!("{problems:?}"), SECRETS);
}

/// Listing vaults with `params` fails naming `record`, and verify names it.
fn assert_list_and_verify_name(f: &Fixture, params: &ListParams, record: &str) {
    let err = open(f.dir.path()).list_vaults(params).expect_err("damaged");
    assert_corrupted_naming(&err, record, SECRETS);
    assert_verify_names(f, record);
}

#[test]
fn an_edited_mcp_server_url_is_refused_by_the_record_mac() {
    let f = tampered(|db, vault, cred| {
        let t = tree(db, "credentials");
        let key = credential_key("default", vault, cred);
        // The first occurrence is mcp_server_url; lookup_url stays.
        put(
            &t,
            &key,
            replace_first(&get(&t, &key), A.as_bytes(), C.as_bytes()),
        );
    });
    let store = open(f.dir.path());
    assert_eq!(bearer(&store, &f.vault, C).expect("lookup"), None);
    let err = bearer(&store, &f.vault, A).expect_err("the record no longer authenticates");
    assert_corrupted_naming(&err, &f.cred, SECRETS);
    drop(store);
    assert_verify_names(&f, &f.cred);
}

#[test]
fn an_edited_lookup_url_is_reported_and_resolves_nothing_new() {
    let f = tampered(|db, vault, cred| {
        let t = tree(db, "credentials");
        let key = credential_key("default", vault, cred);
        let record = get(&t, &key);
        let at = record
            .windows(A.len())
            .rposition(|w| w == A.as_bytes())
            .expect("lookup_url present");
        let edited = [&record[..at], C.as_bytes(), &record[at + A.len()..]].concat();
        put(&t, &key, edited);
    });
    let store = open(f.dir.path());
    assert_eq!(bearer(&store, &f.vault, C).expect("lookup"), None);
    drop(store);
    assert_verify_names(&f, &f.cred);
}

#[test]
fn a_truncated_vault_record_names_the_vault() {
    let f = tampered(|db, vault, _| truncate(db, "vaults", &vault_key("default", vault)));
    let err = open(f.dir.path()).get_vault(&f.vault).expect_err("damaged");
    assert_corrupted_naming(&err, &f.vault, SECRETS);
    assert_list_and_verify_name(&f, &ListParams::default(), &f.vault);
}

#[test]
fn a_truncated_credential_record_names_the_credential() {
    let f = tampered(|db, vault, cred| {
        truncate(db, "credentials", &credential_key("default", vault, cred))
    });
    let store = open(f.dir.path());
    let err = store
        .get_credential(&f.vault, &f.cred)
        .expect_err("damaged");
    assert_corrupted_naming(&err, &f.cred, SECRETS);
    drop(store);
    assert_verify_names(&f, &f.cred);
}

#[test]
fn a_truncated_token_entry_names_its_vault_and_url() {
    let f = tampered(|db, vault, _| truncate(db, "tokens", &token_key("default", vault, A)));
    let store = open(f.dir.path());
    let err = bearer(&store, &f.vault, A).expect_err("damaged");
    assert_corrupted_naming(&err, &f.vault, SECRETS);
    drop(store);
    assert_verify_names(&f, &f.vault);
    assert_verify_names(&f, A);
}

#[test]
fn a_truncated_index_entry_names_the_item() {
    let f = tampered(|db, vault, _| {
        let key = [
            vault_key("default", vault)[..8].to_vec(),
            b"v".to_vec(),
            id_bytes(vault).to_vec(),
        ]
        .concat();
        truncate(db, "list_active", &key);
    });
    // A page without a name filter reads the records, not this index; a name filter
    // reads the index entries, so it meets the damage.
    let by_name = ListParams {
        name: Some("mai".into()),
        ..ListParams::default()
    };
    assert_list_and_verify_name(&f, &by_name, &f.vault);
}

#[test]
fn the_untouched_store_is_clean() {
    // Without this, the tests above could pass on a store that always reports damage.
    let f = tampered(|_, _, _| {});
    let store = open(f.dir.path());
    assert!(store.get_vault(&f.vault).is_ok());
    assert_eq!(
        bearer(&store, &f.vault, A).expect("lookup").as_deref(),
        Some("fake-token-a")
    );
    assert!(problems(&store).is_empty());
}
