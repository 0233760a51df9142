//! Guards the re-exports that let a caller use the whole API without naming its
//! dependencies: chrono for list bounds, secrecy for tokens.

mod common;
use common::*;
use vaultstore::chrono::{Duration, Utc};
use vaultstore::secrecy::SecretString;
use vaultstore::ListParams;

#[test]
fn list_bounds_and_tokens_use_the_reexported_crates() {
    let (_dir, store) = store();
    let token: SecretString = secret("t");
    let vault = store
        .create_vault(vaultstore::CreateVault::new(
            "v",
            vec![vaultstore::CreateCredential::static_bearer(
                "https://example.com/mcp",
                vaultstore::Protocol::Sse,
                token,
            )],
        ))
        .expect("create");
    let since = ListParams {
        created_at_gte: Some(Utc::now() - Duration::hours(1)),
        created_at_lte: Some(vault.created_at),
        ..ListParams::default()
    };
    assert_eq!(store.list_vaults(&since).expect("list").data.len(), 1);
}
