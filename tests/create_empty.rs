//! Guards `create_empty_vault` (the Anthropic dialect's create): a vault with no
//! credentials that takes them later, while `create_vault` keeps "at least one".

mod common;
use common::*;
use std::collections::BTreeMap;
use vaultstore::{CreateVault, ListParams};

fn an_empty_vault_is_created_listed_and_takes_credentials_later(backend: &Backend) {
    let (_dir, store) = backend.store();
    let mut metadata = BTreeMap::new();
    metadata.insert("team".to_owned(), "infra".to_owned());
    let vault = store
        .create_empty_vault("empty", metadata.clone())
        .expect("creates");
    assert_eq!(vault.metadata, metadata);
    assert_eq!(vault.credentials.as_deref(), Some(&[][..]));
    let page = store.list_vaults(&ListParams::default()).expect("lists");
    assert_eq!(page.data[0].id, vault.id);

    store
        .add_credential(&vault.id, credential("https://a.example/mcp", "t"))
        .expect("adds");
    assert_eq!(
        resolve(&store, &[&vault.id], "https://a.example/mcp").as_deref(),
        Some("t")
    );
}

fn empty_vaults_still_check_their_fields_and_create_vault_still_refuses_none(backend: &Backend) {
    let (_dir, store) = backend.store();
    let err = store
        .create_empty_vault("", BTreeMap::new())
        .expect_err("blank name");
    assert_eq!(err.field(), Some("display_name"));
    let err = store
        .create_vault(CreateVault::new("x", Vec::new()))
        .expect_err("no credentials");
    assert_eq!(
        err.to_string(),
        "At least one credential is required when creating a vault."
    );
}

conformance!(
    an_empty_vault_is_created_listed_and_takes_credentials_later,
    empty_vaults_still_check_their_fields_and_create_vault_still_refuses_none,
);
