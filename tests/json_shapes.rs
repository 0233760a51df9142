//! Guards the JSON the API answers with: field names, shapes, six-digit timestamps,
//! fields present only when they apply, and the error envelope.

mod common;
use common::*;
use serde_json::{json, Value};
use vaultstore::ListParams;

fn is_micro_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    // 2026-05-18T15:34:16.876188Z
    s.len() == 27
        && s.ends_with('Z')
        && s.as_bytes()[19] == b'.'
        && s[20..26].bytes().all(|b| b.is_ascii_digit())
}

fn a_created_vault_has_exactly_the_api_fields(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = vault(&store, "github");
    let v = serde_json::to_value(&vault).expect("serializes");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "id",
        "type",
        "display_name",
        "status",
        "metadata",
        "created_at",
        "updated_at",
        "credentials",
    ];
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(v["type"], "vault");
    assert_eq!(v["status"], "active");
    assert_eq!(v["metadata"], json!({}));
    assert!(is_micro_timestamp(&v["created_at"]), "{}", v["created_at"]);
    let c = &v["credentials"][0];
    let mut ckeys: Vec<&str> = c
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    ckeys.sort();
    assert_eq!(
        ckeys,
        [
            "created_at",
            "id",
            "mcp_server_url",
            "metadata",
            "protocol",
            "status",
            "type",
            "updated_at",
            "vault_id"
        ]
    );
    assert_eq!(c["type"], "static_bearer");
    assert_eq!(c["protocol"], "streamable_http");
    assert!(is_micro_timestamp(&c["updated_at"]));
}

fn archived_at_appears_only_once_archived_and_lists_carry_no_credentials(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = vault(&store, "jira");
    let listed = serde_json::to_value(store.list_vaults(&ListParams::default()).expect("list"))
        .expect("json");
    assert!(listed["data"][0].get("credentials").is_none());
    assert!(listed["data"][0].get("archived_at").is_none());
    let archived =
        serde_json::to_value(store.archive_vault(&vault.id).expect("archive")).expect("json");
    assert_eq!(archived["status"], "archived");
    assert!(is_micro_timestamp(&archived["archived_at"]));
    let cred_id = vault.credentials.as_ref().expect("creds")[0].id.clone();
    let cred = serde_json::to_value(store.get_credential(&vault.id, &cred_id).expect("get"))
        .expect("json");
    assert_eq!(cred["status"], "archived");
    assert!(is_micro_timestamp(&cred["archived_at"]));
}

fn pages_and_deletes_have_the_api_shape(backend: &Backend) {
    let (_dir, store) = backend.store();
    let empty = serde_json::to_value(store.list_vaults(&ListParams::default()).expect("list"))
        .expect("json");
    assert_eq!(
        empty,
        json!({"data": [], "first_id": null, "last_id": null, "has_more": false})
    );
    let vault = vault(&store, "db");
    let cred_id = vault.credentials.as_ref().expect("creds")[0].id.clone();
    let deleted = serde_json::to_value(
        store
            .delete_credential(&vault.id, &cred_id)
            .expect("delete"),
    )
    .expect("json");
    assert_eq!(
        deleted,
        json!({"id": cred_id, "type": "vault_credential_deleted"})
    );
}

fn errors_have_the_api_envelope(backend: &Backend) {
    let (_dir, store) = backend.store();
    let err = store.get_vault("vault_nope").expect_err("unknown");
    assert_eq!(
        err.envelope(),
        json!({"type": "error", "error": {"type": "not_found_error", "message": "Vault 'vault_nope' was not found."}})
    );
}

fn answers_deserialize_back(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = vault(&store, "round-trip");
    let text = serde_json::to_string(&vault).expect("serializes");
    let back: vaultstore::Vault = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, vault);
}

conformance!(
    a_created_vault_has_exactly_the_api_fields,
    archived_at_appears_only_once_archived_and_lists_carry_no_credentials,
    pages_and_deletes_have_the_api_shape,
    errors_have_the_api_envelope,
    answers_deserialize_back,
);
