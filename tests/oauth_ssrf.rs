//! Guards `HttpRefresher::public_only` (what the server refreshes with): a token
//! endpoint reached at a loopback address is refused before any request is sent, as a
//! configuration error that keeps the refresh token and never yields the stale token;
//! the default refresher still reaches it (library callers are trusted).

mod oauth_support;

use std::time::Duration;

use chrono::Utc;
use oauth_support::TokenServer;
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{
    CreateCredential, CreateVault, Error, HttpRefresher, MasterKey, OAuthRefresh, OAuthTokens,
    Protocol, VaultStore,
};

const URL: &str = "https://mcp.example.com/mcp";

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

fn vault(store: &VaultStore, endpoint: &str) -> String {
    let cred = CreateCredential::mcp_oauth(
        URL,
        Protocol::StreamableHttp,
        OAuthTokens::new(secret("access-0"))
            .expires_at(Utc::now() + chrono::Duration::seconds(5))
            .refresh(OAuthRefresh::new("client", secret("refresh-0"), endpoint)),
    );
    store
        .create_vault(CreateVault::new("oauth", vec![cred]))
        .expect("create")
        .id
}

fn lookup(store: &VaultStore, vault: &str) -> vaultstore::Result<Option<String>> {
    Ok(store
        .session(&[vault])?
        .bearer_token(URL)?
        .map(|t| t.expose_secret().to_owned()))
}

#[test]
fn a_loopback_token_endpoint_is_refused_before_any_request() {
    let server = TokenServer::start("refresh-0");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = VaultStore::builder(dir.path())
        .key(MasterKey::from_bytes([3; 32]))
        .token_refresher(HttpRefresher::public_only())
        .open()
        .expect("open");
    let id = vault(&store, &server.url);
    match lookup(&store, &id) {
        Err(Error::Refresh {
            code,
            needs_reauthorization,
            message,
            ..
        }) => {
            assert_eq!(code, "invalid_token_endpoint");
            assert!(!needs_reauthorization, "the refresh token is kept");
            assert!(message.contains("internal addresses"), "{message}");
        }
        other => panic!("expected a refused refresh, got {other:?}"),
    }
    assert_eq!(server.request_count(), 0, "nothing was sent");
}

#[test]
fn the_default_refresher_still_reaches_loopback() {
    let server = TokenServer::start("refresh-0");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = VaultStore::builder(dir.path())
        .key(MasterKey::from_bytes([3; 32]))
        .token_refresher(HttpRefresher::with_timeouts(
            Duration::from_secs(2),
            Duration::from_secs(2),
            false,
        ))
        .open()
        .expect("open");
    let id = vault(&store, &server.url);
    let token = lookup(&store, &id).expect("refreshes").expect("a token");
    assert_ne!(token, "access-0");
    assert_eq!(server.request_count(), 1);
}
