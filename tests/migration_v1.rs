//! Guards the migration from format 1: a store written by the release before OAuth
//! credentials (committed under tests/data/store-v1, see store-v1.md) opens with this
//! build, keeps every object and token, takes new writes, and is format 2 afterwards.

use std::path::Path;

use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{
    CreateCredential, CreateVault, ListParams, MasterKey, Protocol, Status, UpdateCredential,
    VaultStore,
};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/store-v1");

/// A writable copy of the fixture (opening writes to it).
fn copy_fixture() -> tempfile::TempDir {
    copy_named(FIXTURE)
}

fn copy_named(fixture: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read fixture") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    copy(Path::new(fixture), &dir.path().join("store"));
    dir
}

fn open(dir: &Path) -> VaultStore {
    VaultStore::open(dir.join("store"), MasterKey::from_bytes([8; 32])).expect("open")
}

fn header_version(dir: &Path) -> u8 {
    std::fs::read(dir.join("store/HEADER")).expect("header")[8]
}

fn token(store: &VaultStore, vault: &str, url: &str) -> Option<String> {
    store
        .session(&[vault])
        .expect("session")
        .bearer_token(url)
        .expect("lookup")
        .map(|t| t.expose_secret().to_owned())
}

#[test]
fn a_format_1_store_opens_reads_resolves_and_takes_writes() {
    let dir = copy_fixture();
    assert_eq!(header_version(dir.path()), 1, "the fixture is format 1");
    let store = open(dir.path());
    assert_eq!(header_version(dir.path()), 2, "migrated at open");

    let all = store
        .list_vaults(&ListParams {
            include_archived: true,
            ..Default::default()
        })
        .expect("list");
    let names: Vec<&str> = all.data.iter().map(|v| v.display_name.as_str()).collect();
    assert_eq!(names, ["archived-vault", "fixture-vault"]);
    let archived = &all.data[0];
    let main = &all.data[1];
    assert_eq!(archived.status, Status::Archived);
    assert_eq!(main.metadata["env"], "prod");
    assert_eq!(main.metadata["team"], "agents");

    let creds = store
        .list_credentials(
            &main.id,
            &ListParams {
                include_archived: true,
                ..Default::default()
            },
        )
        .expect("credentials");
    assert_eq!(creds.data.len(), 3);
    for cred in &creds.data {
        let again = store.get_credential(&main.id, &cred.id).expect("get");
        assert_eq!(&again, cred);
        assert!(cred.metadata.is_empty() && cred.display_name.is_none());
    }
    assert_eq!(
        token(&store, &main.id, "https://mcp.example.com/sse").as_deref(),
        Some("fixture-token-1")
    );
    assert_eq!(
        token(&store, &main.id, "https://jira.example.com/mcp").as_deref(),
        Some("fixture-token-2")
    );
    assert_eq!(token(&store, &main.id, "https://old.example.com/mcp"), None);

    let acme = store.account("acme").expect("account");
    let acme_vault = &acme.list_vaults(&ListParams::default()).expect("list").data[0];
    assert_eq!(
        token(&acme, &acme_vault.id, "https://mcp.example.com/sse").as_deref(),
        Some("fixture-token-acme")
    );

    // Writes: a new credential, an update of a migrated one, an archive.
    let jira = creds
        .data
        .iter()
        .find(|c| c.mcp_server_url.contains("jira"))
        .expect("jira");
    let update =
        UpdateCredential::from_json(r#"{"auth": {"type": "static_bearer", "token": "rotated"}}"#)
            .expect("body");
    store
        .update_credential(&main.id, &jira.id, update)
        .expect("update");
    assert_eq!(
        token(&store, &main.id, "https://jira.example.com/mcp").as_deref(),
        Some("rotated")
    );
    store
        .add_credential(
            &main.id,
            CreateCredential::static_bearer(
                "https://new.example.com/mcp",
                Protocol::Sse,
                SecretString::from("fresh".to_owned()),
            ),
        )
        .expect("add");
    store
        .create_vault(CreateVault::new(
            "after-migration",
            vec![CreateCredential::static_bearer(
                "https://x.example/mcp",
                Protocol::Sse,
                SecretString::from("x".to_owned()),
            )],
        ))
        .expect("create");
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    // Main vault: two migrated and one new; acme's; the vault made after.
    assert_eq!(report.tokens_opened, 5);
    drop((store, acme));

    // Reopened: format 2 now, nothing migrated twice, everything still there.
    let store = open(dir.path());
    assert_eq!(
        token(&store, &main.id, "https://new.example.com/mcp").as_deref(),
        Some("fresh")
    );
    assert!(store.verify().expect("verify").is_ok());
}

#[test]
fn a_format_1_store_still_refuses_the_wrong_key() {
    let dir = copy_fixture();
    let err = VaultStore::open(dir.path().join("store"), MasterKey::from_bytes([7; 32]))
        .expect_err("the key before the fixture's rotation");
    assert!(matches!(err, vaultstore::Error::WrongKey), "{err}");
    assert_eq!(
        header_version(dir.path()),
        1,
        "nothing migrated without the key"
    );
}

#[test]
fn urls_stored_in_format_1_normal_form_are_found_by_this_builds_form() {
    let dir = copy_named(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/store-v1-spellings"
    ));
    let store =
        VaultStore::open(dir.path().join("store"), MasterKey::from_bytes([9; 32])).expect("open");
    let vault = &store
        .list_vaults(&ListParams::default())
        .expect("list")
        .data[0];
    // Stored as https://spell.example./m%63p? by format 1; any spelling finds it now.
    for spelling in ["https://spell.example/mcp", "https://Spell.example./m%63p?"] {
        assert_eq!(
            token(&store, &vault.id, spelling).as_deref(),
            Some("token-spelled"),
            "{spelling}"
        );
    }
    // Two credentials format 1 told apart: the first keeps the shared form; the other
    // keeps its old one, and verify reports it rather than hiding it.
    assert_eq!(
        token(&store, &vault.id, "https://dup.example/%6Dcp").as_deref(),
        Some("token-plain")
    );
    let problems = store.verify().expect("verify").problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("lookup URL"), "{problems:?}");
    let creds = store
        .list_credentials(&vault.id, &ListParams::default())
        .expect("list");
    let names: Vec<&str> = creds
        .data
        .iter()
        .map(|c| c.mcp_server_url.as_str())
        .collect();
    assert_eq!(names.len(), 3, "nothing lost: {names:?}");
}
