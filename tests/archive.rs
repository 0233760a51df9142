//! Guards archive: the cascade to credentials and tokens, conflicts on a second archive,
//! and what an archived vault refuses.

mod common;
use common::*;
use vaultstore::{ListParams, Status, UpdateVault};

fn archiving_a_vault_archives_its_credentials_and_erases_tokens(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault_with(&store, "v", "https://a.example/mcp", "token-a");
    let b = store
        .add_credential(&v.id, credential("https://b.example/mcp", "token-b"))
        .expect("add");
    let session = store.session(&[&v.id]).expect("session");
    let archived = store.archive_vault(&v.id).expect("archive");
    assert_eq!(archived.status, Status::Archived);
    assert_eq!(archived.archived_at, Some(archived.updated_at));
    assert!(archived.updated_at > v.updated_at);
    let creds = store
        .list_credentials(
            &v.id,
            &ListParams {
                include_archived: true,
                ..Default::default()
            },
        )
        .expect("list");
    assert_eq!(creds.data.len(), 2);
    for cred in &creds.data {
        assert_eq!(cred.status, Status::Archived);
        assert_eq!(cred.archived_at, archived.archived_at);
    }
    assert!(
        session
            .bearer_token("https://a.example/mcp")
            .expect("lookup")
            .is_none(),
        "token erased"
    );
    assert!(
        session
            .bearer_token("https://b.example/mcp")
            .expect("lookup")
            .is_none(),
        "token erased"
    );
    assert_eq!(
        store.get_credential(&v.id, &b.id).expect("get").status,
        Status::Archived
    );
    assert!(store.verify().expect("verify").is_ok());
}

fn archiving_twice_conflicts(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault(&store, "v");
    store.archive_vault(&v.id).expect("archive");
    let err = store.archive_vault(&v.id).expect_err("twice");
    assert_eq!(err.api_type(), "conflict_error");
    let cred = &v.credentials.as_ref().expect("creds")[0].id;
    let err = store
        .archive_credential(&v.id, cred)
        .expect_err("already archived by the cascade");
    assert_eq!(err.api_type(), "conflict_error");
}

fn an_archived_vault_takes_no_credentials_updates_or_sessions(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault(&store, "v");
    store.archive_vault(&v.id).expect("archive");
    let err = store
        .add_credential(&v.id, credential("https://new.example/", "t"))
        .expect_err("archived");
    assert_eq!(err.api_type(), "invalid_request_error");
    assert!(err.to_string().contains("archived"), "{err}");
    let err = store
        .update_vault(
            &v.id,
            UpdateVault {
                display_name: Some("x".into()),
                ..Default::default()
            },
        )
        .expect_err("archived");
    assert_eq!(err.api_type(), "invalid_request_error");
    let err = store.session(&[&v.id]).expect_err("archived");
    assert_eq!(err.api_type(), "invalid_request_error");
    assert_eq!(
        store.get_vault(&v.id).expect("get still works").status,
        Status::Archived
    );
}

fn archiving_a_credential_frees_its_url_and_its_slot(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault_with(&store, "v", "https://a.example/mcp", "old");
    let cred = v.credentials.as_ref().expect("creds")[0].id.clone();
    let err = store
        .add_credential(&v.id, credential("https://a.example/mcp", "dup"))
        .expect_err("dup");
    assert_eq!(err.api_type(), "conflict_error");
    let archived = store.archive_credential(&v.id, &cred).expect("archive");
    assert_eq!(archived.status, Status::Archived);
    assert!(archived.archived_at.is_some());
    // Rotation is archive (or delete) and re-create.
    store
        .add_credential(&v.id, credential("https://a.example/mcp", "new"))
        .expect("re-create");
    assert_eq!(
        resolve(&store, &[&v.id], "https://a.example/mcp").as_deref(),
        Some("new")
    );
    assert!(store.verify().expect("verify").is_ok());
}

#[test]
fn the_active_credential_limit_counts_only_active_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let store = vaultstore::VaultStore::builder(dir.path())
        .key(vaultstore::MasterKey::from_bytes(KEY))
        .max_active_credentials(3)
        .open()
        .expect("open");
    let v = vault(&store, "v");
    let b = store
        .add_credential(&v.id, credential("https://b.example/", "t"))
        .expect("2nd");
    store
        .add_credential(&v.id, credential("https://c.example/", "t"))
        .expect("3rd");
    let err = store
        .add_credential(&v.id, credential("https://d.example/", "t"))
        .expect_err("4th");
    assert_eq!(err.api_type(), "invalid_request_error");
    assert!(err.to_string().contains("3 active credentials"), "{err}");
    store.archive_credential(&v.id, &b.id).expect("archive");
    store
        .add_credential(&v.id, credential("https://d.example/", "t"))
        .expect("a slot is free again");
}

conformance!(
    archiving_a_vault_archives_its_credentials_and_erases_tokens,
    archiving_twice_conflicts,
    an_archived_vault_takes_no_credentials_updates_or_sessions,
    archiving_a_credential_frees_its_url_and_its_slot,
);
