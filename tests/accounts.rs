//! Guards accounts: one account's handle never sees, changes or resolves another's data.

mod common;
use common::*;
use vaultstore::{ListParams, UpdateVault, DEFAULT_ACCOUNT};

fn accounts_are_fully_isolated(backend: &Backend) {
    let (_dir, store) = backend.store();
    let acme = store.account("acme").expect("account");
    let globex = store.account("globex").expect("account");
    let mine = vault_with(&acme, "mine", "https://s.example/mcp", "acme-token");
    let theirs = vault_with(&globex, "theirs", "https://s.example/mcp", "globex-token");
    let cred = mine.credentials.as_ref().expect("creds")[0].id.clone();

    assert_eq!(
        ids(&acme.list_vaults(&ListParams::default()).expect("list").data),
        vec![mine.id.clone()]
    );
    assert!(
        store
            .list_vaults(&ListParams::default())
            .expect("list")
            .data
            .is_empty(),
        "default sees neither"
    );

    for other in [&globex, &store] {
        assert_eq!(
            other.get_vault(&mine.id).expect_err("hidden").api_type(),
            "not_found_error"
        );
        assert_eq!(
            other
                .get_credential(&mine.id, &cred)
                .expect_err("hidden")
                .api_type(),
            "not_found_error"
        );
        assert_eq!(
            other
                .archive_vault(&mine.id)
                .expect_err("hidden")
                .api_type(),
            "not_found_error"
        );
        assert_eq!(
            other.delete_vault(&mine.id).expect_err("hidden").api_type(),
            "not_found_error"
        );
        assert_eq!(
            other
                .update_vault(&mine.id, UpdateVault::default())
                .expect_err("x")
                .api_type(),
            "not_found_error"
        );
        assert_eq!(
            other
                .delete_credential(&mine.id, &cred)
                .expect_err("x")
                .api_type(),
            "not_found_error"
        );
        assert_eq!(
            other.session(&[&mine.id]).expect_err("hidden").api_type(),
            "not_found_error"
        );
        assert_eq!(
            other
                .list_credentials(&mine.id, &ListParams::default())
                .expect_err("hidden")
                .api_type(),
            "not_found_error"
        );
    }
    assert_eq!(
        resolve(&acme, &[&mine.id], "https://s.example/mcp").as_deref(),
        Some("acme-token")
    );
    assert_eq!(
        resolve(&globex, &[&theirs.id], "https://s.example/mcp").as_deref(),
        Some("globex-token")
    );
    assert!(
        acme.get_vault(&mine.id).is_ok(),
        "untouched by the others' attempts"
    );
}

fn the_default_handle_is_the_default_account(backend: &Backend) {
    let (_dir, store) = backend.store();
    assert_eq!(store.account_name(), DEFAULT_ACCOUNT);
    let v = vault(&store, "v");
    let same = store.account(DEFAULT_ACCOUNT).expect("account");
    assert!(same.get_vault(&v.id).is_ok());
}

fn account_names_are_validated(backend: &Backend) {
    let (_dir, store) = backend.store();
    for bad in ["", "has space", "slash/y", &"a".repeat(65)] {
        let err = store.account(bad).expect_err(bad);
        assert_eq!(
            (err.api_type(), err.field()),
            ("invalid_request_error", Some("account"))
        );
    }
}

conformance!(
    accounts_are_fully_isolated,
    the_default_handle_is_the_default_account,
    account_names_are_validated,
);
