//! Guards update: name change (and its index), metadata patch semantics and limits,
//! updated_at.

mod common;
use common::*;
use std::collections::BTreeMap;
use vaultstore::{ListParams, UpdateVault};

fn metadata_patch_sets_removes_and_keeps(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = store
        .create_vault(
            vaultstore::CreateVault::new("v", vec![credential("https://a.example/", "t")])
                .with_metadata("keep", "1")
                .with_metadata("drop", "2")
                .with_metadata("change", "3"),
        )
        .expect("create");
    let update =
        UpdateVault::from_json(r#"{"metadata": {"drop": null, "change": "30", "add": "4"}}"#)
            .expect("parses");
    let updated = store.update_vault(&v.id, update).expect("update");
    let want: BTreeMap<String, String> = [("keep", "1"), ("change", "30"), ("add", "4")]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
    assert_eq!(updated.metadata, want);
    assert!(updated.updated_at > v.updated_at);
    assert_eq!(updated.created_at, v.created_at);
    assert_eq!(store.get_vault(&v.id).expect("get"), updated);
}

fn renaming_updates_the_name_filter(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault(&store, "old-name");
    store
        .update_vault(
            &v.id,
            UpdateVault {
                display_name: Some("New-Name".into()),
                ..Default::default()
            },
        )
        .expect("update");
    let find = |name: &str| {
        store
            .list_vaults(&ListParams {
                name: Some(name.into()),
                ..Default::default()
            })
            .expect("list")
            .data
            .len()
    };
    assert_eq!((find("old"), find("new-name")), (0, 1));
    assert!(store.verify().expect("verify").is_ok());
}

fn bad_updates_are_refused_and_change_nothing(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault(&store, "v");
    let err = store
        .update_vault(
            &v.id,
            UpdateVault {
                display_name: Some(" ".into()),
                ..Default::default()
            },
        )
        .expect_err("blank");
    assert_eq!(err.field(), Some("display_name"));
    let patch: BTreeMap<String, Option<String>> = (0..17)
        .map(|i| (format!("k{i}"), Some("v".into())))
        .collect();
    let err = store
        .update_vault(
            &v.id,
            UpdateVault {
                metadata: Some(patch),
                ..Default::default()
            },
        )
        .expect_err("too many pairs");
    assert_eq!(err.field(), Some("metadata"));
    assert_eq!(store.get_vault(&v.id).expect("get"), {
        let mut v = v.clone();
        v.credentials = None;
        v
    });
    assert_eq!(
        store
            .update_vault("vault_x", UpdateVault::default())
            .expect_err("x")
            .api_type(),
        "not_found_error"
    );
}

conformance!(
    metadata_patch_sets_removes_and_keeps,
    renaming_updates_the_name_filter,
    bad_updates_are_refused_and_change_nothing,
);
