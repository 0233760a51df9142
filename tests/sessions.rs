//! Guards sessions: resolution order, URL normal form, validation of the named vaults,
//! and that a lookup always sees the store as it is now.

mod common;
use common::*;
use vaultstore::secrecy::ExposeSecret;

fn the_first_named_vault_with_a_credential_wins(backend: &Backend) {
    let (_dir, store) = backend.store();
    let a = vault_with(&store, "a", "https://shared.example/mcp", "from-a");
    let b = vault_with(&store, "b", "https://shared.example/mcp", "from-b");
    store
        .add_credential(&b.id, credential("https://only-b.example/mcp", "only-b"))
        .expect("add");
    assert_eq!(
        resolve(&store, &[&a.id, &b.id], "https://shared.example/mcp").as_deref(),
        Some("from-a")
    );
    assert_eq!(
        resolve(&store, &[&b.id, &a.id], "https://shared.example/mcp").as_deref(),
        Some("from-b")
    );
    assert_eq!(
        resolve(&store, &[&a.id, &b.id], "https://only-b.example/mcp").as_deref(),
        Some("only-b")
    );
    assert_eq!(
        resolve(&store, &[&a.id, &b.id], "https://nobody.example/mcp"),
        None
    );
    let resolved = store
        .session(&[&a.id, &b.id])
        .expect("session")
        .resolve("https://only-b.example/mcp")
        .expect("lookup")
        .expect("found");
    assert_eq!(resolved.vault_id, b.id);
    assert!(
        format!("{resolved:?}").contains("REDACTED")
            && !format!("{resolved:?}").contains("only-b\"")
    );
}

fn urls_match_in_normal_form(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault_with(&store, "v", "https://Example.com:443/mcp", "t");
    for url in [
        "https://example.com/mcp",
        "HTTPS://EXAMPLE.COM/mcp",
        "https://example.com:443/x/../mcp",
    ] {
        assert_eq!(
            resolve(&store, &[&v.id], url).as_deref(),
            Some("t"),
            "{url}"
        );
    }
    assert_eq!(
        resolve(&store, &[&v.id], "https://example.com/MCP"),
        None,
        "paths are case-sensitive"
    );
    assert_eq!(
        resolve(&store, &[&v.id], "http://example.com/mcp"),
        None,
        "schemes differ"
    );
    let session = store.session(&[&v.id]).expect("session");
    let err = session.bearer_token("not a url").expect_err("bad url");
    assert_eq!(err.api_type(), "invalid_request_error");
}

fn named_vaults_must_exist_and_be_active(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault(&store, "v");
    let err = store
        .session(&[v.id.as_str(), "vault_missing"])
        .expect_err("missing");
    assert_eq!(err.api_type(), "not_found_error");
    assert!(err.to_string().contains("vault_missing"));
    let empty: [&str; 0] = [];
    let session = store.session(&empty).expect("an empty session is allowed");
    assert!(session
        .bearer_token("https://v.example.com/mcp")
        .expect("lookup")
        .is_none());
}

fn a_session_sees_rotation_archive_and_delete_at_its_next_lookup(backend: &Backend) {
    let (_dir, store) = backend.store();
    let a = vault_with(&store, "a", "https://s.example/mcp", "v1");
    let b = vault_with(&store, "b", "https://s.example/mcp", "fallback");
    let session = store.session(&[&a.id, &b.id]).expect("session");
    let token = |s: &vaultstore::Session| {
        s.bearer_token("https://s.example/mcp")
            .expect("lookup")
            .map(|t| t.expose_secret().to_owned())
    };
    assert_eq!(token(&session).as_deref(), Some("v1"));

    // Rotate the token: delete and re-create.
    let old = a.credentials.as_ref().expect("creds")[0].id.clone();
    store.delete_credential(&a.id, &old).expect("delete");
    assert_eq!(
        token(&session).as_deref(),
        Some("fallback"),
        "never the erased token"
    );
    let new = store
        .add_credential(&a.id, credential("https://s.example/mcp", "v2"))
        .expect("add");
    assert_eq!(token(&session).as_deref(), Some("v2"));

    store.archive_credential(&a.id, &new.id).expect("archive");
    assert_eq!(token(&session).as_deref(), Some("fallback"));
    store.archive_vault(&b.id).expect("archive vault");
    assert_eq!(token(&session), None);

    store
        .rotate_key(vaultstore::MasterKey::from_bytes([9; 32]))
        .expect("rotate master key");
    store
        .add_credential(&a.id, credential("https://s.example/mcp", "v3"))
        .expect("add");
    assert_eq!(
        token(&session).as_deref(),
        Some("v3"),
        "works across a master-key rotation"
    );
}

fn session_debug_shows_ids_only(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault_with(&store, "v", "https://a.example/", "super-secret-token");
    let session = store.session(&[&v.id]).expect("session");
    let text = format!("{session:?} {store:?}");
    assert!(
        text.contains(&v.id) && !text.contains("super-secret-token"),
        "{text}"
    );
}

conformance!(
    the_first_named_vault_with_a_credential_wins,
    urls_match_in_normal_form,
    named_vaults_must_exist_and_be_active,
    a_session_sees_rotation_archive_and_delete_at_its_next_lookup,
    session_debug_shows_ids_only,
);
