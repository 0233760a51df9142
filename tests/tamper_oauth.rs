//! Guards mcp_oauth credentials against an attacker who can write the store's files but
//! has no key: a secret moved into another field's slot, a token entry written back
//! after an archive, a token endpoint edited to point elsewhere. Each fails as
//! corruption naming the credential; no token reaches anyone, no request is sent.

mod common_robust;
mod oauth_support;

use chrono::Utc;
use common_robust::*;
use oauth_support::TokenServer;
use vaultstore::secrecy::SecretString;
use vaultstore::{CreateCredential, CreateVault, OAuthRefresh, OAuthTokens, Protocol, VaultStore};

const URL: &str = "https://mcp.example.com/mcp";
const SECRETS: &[&str] = &["access-0", "refresh-0"];

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

/// A vault with one mcp_oauth credential expiring in `seconds`, refreshed at `endpoint`.
fn oauth_vault(store: &VaultStore, endpoint: &str, seconds: i64) -> (String, String) {
    let refresh = OAuthRefresh::new("client", secret("refresh-0"), endpoint);
    let tokens = OAuthTokens::new(secret("access-0"))
        .expires_at(Utc::now() + chrono::Duration::seconds(seconds))
        .refresh(refresh);
    let cred = CreateCredential::mcp_oauth(URL, Protocol::Sse, tokens);
    let vault = store
        .create_vault(CreateVault::new("oauth", vec![cred]))
        .expect("create");
    let id = vault.credentials.as_ref().expect("credentials")[0]
        .id
        .clone();
    (vault.id, id)
}

/// The sealed secrets of a token entry as byte ranges: format byte, credential id and
/// binding (33 bytes), then each sealed value as key id, nonce (12), length, bytes;
/// every number here is below 251, so bincode's varints are one byte.
fn sealed_ranges(entry: &[u8]) -> Vec<std::ops::Range<usize>> {
    let sealed_len = |at: usize| 1 + 12 + 1 + entry[at + 13] as usize;
    let mut ranges = Vec::new();
    let access = 33;
    ranges.push(access..access + sealed_len(access));
    let mut at = access + sealed_len(access);
    for _ in 0..2 {
        if entry[at] == 1 {
            ranges.push(at + 1..at + 1 + sealed_len(at + 1));
            at += 1 + sealed_len(at + 1);
        } else {
            at += 1;
        }
    }
    assert_eq!(at, entry.len(), "the entry parses to its end");
    ranges
}

#[test]
fn a_refresh_token_moved_into_the_access_token_slot_does_not_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, cred) = oauth_vault(&open(dir.path()), "https://auth.example.com/token", 3600);
    edit_raw(dir.path(), |db| {
        let tokens = tree(db, "tokens");
        let key = token_key("default", &vault, URL);
        let entry = get(&tokens, &key);
        let ranges = sealed_ranges(&entry);
        let (access, refresh) = (ranges[0].clone(), ranges[1].clone());
        let swapped = [
            &entry[..access.start],
            &entry[refresh.clone()],
            &entry[access.end..refresh.start],
            &entry[access],
            &entry[refresh.end..],
        ]
        .concat();
        put(&tokens, &key, swapped);
    });
    let store = open(dir.path());
    let err = bearer(&store, &vault, URL).expect_err("moved secrets must not open");
    assert_corrupted_naming(&err, &cred, SECRETS);
    assert!(problems(&store).iter().any(|p| p.contains(&cred)));
}

#[test]
fn a_token_entry_written_back_after_an_archive_hands_out_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let (vault, cred) = oauth_vault(&store, "https://auth.example.com/token", 3600);
    drop(store);
    let mut saved = Vec::new();
    edit_raw(dir.path(), |db| {
        saved = get(&tree(db, "tokens"), &token_key("default", &vault, URL));
    });
    let store = open(dir.path());
    store.archive_credential(&vault, &cred).expect("archive");
    drop(store);
    edit_raw(dir.path(), |db| {
        put(
            &tree(db, "tokens"),
            &token_key("default", &vault, URL),
            saved,
        );
    });
    let store = open(dir.path());
    let err = store
        .session(&[&vault])
        .expect("the vault is active")
        .bearer_token(URL)
        .expect_err("a revoked token must not come back");
    assert_corrupted_naming(&err, &cred, SECRETS);
    assert!(problems(&store).iter().any(|p| p.contains(&cred)));
}

#[test]
fn an_edited_token_endpoint_sends_no_request_anywhere() {
    let real = TokenServer::start("refresh-0");
    let attacker = TokenServer::start("refresh-0");
    assert_eq!(
        real.url.len(),
        attacker.url.len(),
        "same-length URLs edit in place"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, cred) = oauth_vault(&open(dir.path()), &real.url, 10);
    edit_raw(dir.path(), |db| {
        let t = tree(db, "credentials");
        let cred_key = credential_key("default", &vault, &cred);
        let record = get(&t, &cred_key);
        put(
            &t,
            &cred_key,
            replace_first(&record, real.url.as_bytes(), attacker.url.as_bytes()),
        );
    });
    let store = open(dir.path());
    let err = bearer(&store, &vault, URL).expect_err("the record fails its MAC");
    assert_corrupted_naming(&err, &cred, SECRETS);
    assert_eq!(
        attacker.request_count(),
        0,
        "the refresh token went nowhere"
    );
    assert_eq!(real.request_count(), 0);
}

#[test]
fn the_untouched_store_refreshes_and_resolves() {
    // Without this, the tests above could pass on a store that never resolves anything.
    let real = TokenServer::start("refresh-0");
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, _) = oauth_vault(&open(dir.path()), &real.url, 10);
    edit_raw(dir.path(), |_| {});
    let store = open(dir.path());
    assert_eq!(
        bearer(&store, &vault, URL).expect("lookup").as_deref(),
        Some("access-1")
    );
    assert!(problems(&store).is_empty());
}
