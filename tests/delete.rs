//! Guards delete: permanent removal of a vault with everything it holds, of a single
//! credential, and not-found afterwards.

mod common;
use common::*;
use vaultstore::{DeletedObject, ListParams};

fn deleting_a_vault_removes_it_and_everything_in_it(backend: &Backend) {
    let (_dir, store) = backend.store();
    let keep = vault(&store, "keep");
    let v = vault(&store, "gone");
    let extra = store
        .add_credential(&v.id, credential("https://x.example/", "t"))
        .expect("add");
    store
        .archive_credential(&v.id, &extra.id)
        .expect("archive one");
    store.delete_vault(&v.id).expect("delete");
    assert_eq!(
        store.get_vault(&v.id).expect_err("gone").api_type(),
        "not_found_error"
    );
    assert_eq!(
        store
            .get_credential(&v.id, &extra.id)
            .expect_err("gone")
            .api_type(),
        "not_found_error"
    );
    let all = store
        .list_vaults(&ListParams {
            include_archived: true,
            ..Default::default()
        })
        .expect("list");
    assert_eq!(ids(&all.data), vec![keep.id.clone()]);
    assert_eq!(
        store.delete_vault(&v.id).expect_err("twice").api_type(),
        "not_found_error"
    );
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(
        (report.vaults, report.credentials),
        (1, 1),
        "no orphan records left"
    );
}

fn archived_vaults_can_be_deleted(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault(&store, "v");
    store.archive_vault(&v.id).expect("archive");
    store.delete_vault(&v.id).expect("delete");
    assert!(store.verify().expect("verify").is_ok());
    assert_eq!(store.verify().expect("verify").vaults, 0);
}

fn deleting_a_credential_answers_and_erases(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault_with(&store, "v", "https://a.example/mcp", "secret-a");
    let cred = v.credentials.as_ref().expect("creds")[0].id.clone();
    let deleted = store.delete_credential(&v.id, &cred).expect("delete");
    assert_eq!(deleted.id, cred);
    assert_eq!(deleted.object, DeletedObject::VaultCredentialDeleted);
    assert_eq!(
        store
            .get_credential(&v.id, &cred)
            .expect_err("gone")
            .api_type(),
        "not_found_error"
    );
    assert_eq!(resolve(&store, &[&v.id], "https://a.example/mcp"), None);
    let err = store.delete_credential(&v.id, &cred).expect_err("twice");
    assert_eq!(
        err.to_string(),
        format!("Credential '{cred}' was not found.")
    );
    store
        .add_credential(&v.id, credential("https://a.example/mcp", "again"))
        .expect("URL free again");
    assert!(store.verify().expect("verify").is_ok());
}

fn not_found_names_the_right_object(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault(&store, "v");
    let cred = v.credentials.as_ref().expect("creds")[0].id.clone();
    let missing_vault = format!("vault_{}", "0".repeat(32));
    let err = store
        .get_credential(&missing_vault, &cred)
        .expect_err("no vault");
    assert_eq!(
        err.to_string(),
        format!("Vault '{missing_vault}' was not found.")
    );
    let err = store
        .get_credential(&v.id, "vcred_bad")
        .expect_err("bad id");
    assert_eq!(err.to_string(), "Credential 'vcred_bad' was not found.");
    for bad in ["", "vault_", &v.id.to_uppercase(), &cred, "vault_../../etc"] {
        assert_eq!(
            store.get_vault(bad).expect_err(bad).api_type(),
            "not_found_error"
        );
    }
}

conformance!(
    deleting_a_vault_removes_it_and_everything_in_it,
    archived_vaults_can_be_deleted,
    deleting_a_credential_answers_and_erases,
    not_found_names_the_right_object,
);
