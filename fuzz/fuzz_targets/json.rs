//! Arbitrary JSON bodies into `CreateVault`, `CreateCredential` (flat and `auth`
//! shapes, static_bearer and mcp_oauth), `ListParams`, `UpdateVault` and
//! `UpdateCredential`: parsing never panics, and what parses goes through the store and
//! comes back as sent (name, metadata, URL), or is refused as the caller's error.
#![no_main]

#[path = "fixture.rs"]
mod fixture;

use fixture::fixture;
use vaultstore::{CreateCredential, CreateVault, ListParams, UpdateCredential, UpdateVault};

/// A refusal must be the caller's error, never a storage error.
fn callers_error(e: &vaultstore::Error) -> bool {
    matches!(
        e.api_type(),
        "invalid_request_error" | "conflict_error" | "not_found_error"
    )
}

libfuzzer_sys::fuzz_target!(|json: &str| {
    let f = fixture();
    if let Ok(request) = CreateVault::from_json(json) {
        let (name, metadata) = (request.display_name.clone(), request.metadata.clone());
        match f.store.create_vault(request) {
            Ok(v) => {
                let back = f.store.get_vault(&v.id).expect("get what was created");
                assert_eq!((back.display_name, back.metadata), (name, metadata));
                f.store.delete_vault(&v.id).expect("delete");
            }
            Err(e) => assert!(callers_error(&e), "{e:?}"),
        }
    }
    if let Ok(request) = CreateCredential::from_json(json) {
        let url = request.mcp_server_url.clone();
        match f.store.add_credential(&f.vault, request) {
            Ok(c) => {
                assert_eq!(c.mcp_server_url, url);
                f.store.delete_credential(&f.vault, &c.id).expect("delete");
            }
            Err(e) => assert!(callers_error(&e), "{e:?}"),
        }
    }
    if let Ok(params) = ListParams::from_json(json) {
        if let Err(e) = f.store.list_vaults(&params) {
            assert_eq!(e.api_type(), "invalid_request_error", "{e:?}");
        }
    }
    if let Ok(update) = UpdateVault::from_json(json) {
        let name = update.display_name.clone();
        match f.store.update_vault(&f.vault, update) {
            Ok(v) => {
                if let Some(name) = name {
                    assert_eq!(v.display_name, name);
                }
                // Back to the original name, so every input starts from the same vault.
                let reset = UpdateVault {
                    display_name: Some("v".into()),
                    metadata: Some(v.metadata.keys().map(|k| (k.clone(), None)).collect()),
                };
                f.store.update_vault(&f.vault, reset).expect("reset");
            }
            Err(e) => assert!(callers_error(&e), "{e:?}"),
        }
    }
    if let Ok(update) = UpdateCredential::from_json(json) {
        match f.store.update_credential(&f.vault, &f.credential, update) {
            Ok(c) => assert_eq!(c.id, f.credential),
            Err(e) => assert!(callers_error(&e), "{e:?}"),
        }
    }
});
