//! Guards that a sealed token edited, swapped, moved or relabelled on disk fails with
//! `Error::Corrupted` naming the record, and is never handed to any server.

mod common_robust;

use std::path::Path;

use common_robust::*;
use tempfile::TempDir;

const A: &str = "https://a.example/mcp";
const B: &str = "https://b.example/mcp";
/// As long as `A`, so a record's URL can be swapped for it in place.
const C: &str = "https://c.example/mcp";
const SECRETS: &[&str] = &["fake-token-a", "fake-token-b", "fake-token-acme"];
/// In a token entry: format byte, credential id (16), binding (16), then the access
/// token's key id.
const KEY_ID_AT: usize = 1 + 16 + 16;
/// The access token's last ciphertext byte (its tag), before the two absent secrets.
fn tag_at(entry: &[u8]) -> usize {
    entry.len() - 3
}

struct Fixture {
    template: TempDir,
    vault: String,
    cred_a: String,
    acme_vault: String,
}

/// A store with vault (A, B) in the default account and vault (A) in account acme.
fn fixture() -> Fixture {
    let template = tempfile::tempdir().expect("tempdir");
    let store = open(template.path());
    let v = create_vault(&store, "main", &[(A, "fake-token-a"), (B, "fake-token-b")]);
    let acme = store.account("acme").expect("account");
    let w = create_vault(&acme, "acme", &[(A, "fake-token-acme")]);
    Fixture {
        template,
        cred_a: credential_id(&v, A),
        vault: v.id,
        acme_vault: w.id,
    }
}

/// A copy of the fixture's store with `edit` applied to its raw trees.
fn tampered(f: &Fixture, edit: impl FnOnce(&sled::Db)) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(f.template.path(), dir.path());
    edit_raw(dir.path(), edit);
    dir
}

/// The session lookup of `url` fails as corruption naming `record`, and verify reports
/// a problem naming the credential.
fn assert_detected(dir: &Path, f: &Fixture, url: &str, record: &str) {
    let store = open(dir);
    let err = bearer(&store, &f.vault, url).expect_err("a tampered token must not resolve");
    assert_corrupted_naming(&err, record, SECRETS);
    let problems = problems(&store);
    assert!(
        problems.iter().any(|p| p.contains(&f.cred_a)),
        "verify should name {}: {problems:?}",
        f.cred_a
    );
    assert_no_secret(&format!("{problems:?}"), SECRETS);
}

#[test]
fn an_edited_ciphertext_fails() {
    let f = fixture();
    let dir = tampered(&f, |db| {
        let tokens = tree(db, "tokens");
        let key = token_key("default", &f.vault, A);
        let mut value = get(&tokens, &key);
        let at = tag_at(&value);
        value[at] ^= 1;
        put(&tokens, &key, value);
    });
    assert_detected(dir.path(), &f, A, &f.cred_a);
}

#[test]
fn tokens_swapped_between_credentials_fail() {
    let f = fixture();
    let dir = tampered(&f, |db| {
        let tokens = tree(db, "tokens");
        let (ka, kb) = (
            token_key("default", &f.vault, A),
            token_key("default", &f.vault, B),
        );
        let (a, b) = (get(&tokens, &ka), get(&tokens, &kb));
        put(&tokens, &ka, b);
        put(&tokens, &kb, a);
    });
    assert_detected(dir.path(), &f, A, &f.vault);
    let store = open(dir.path());
    assert!(bearer(&store, &f.vault, B).is_err());
}

#[test]
fn a_token_copied_from_another_account_fails() {
    let f = fixture();
    let dir = tampered(&f, |db| {
        let tokens = tree(db, "tokens");
        let theirs = get(&tokens, &token_key("acme", &f.acme_vault, A));
        put(&tokens, &token_key("default", &f.vault, A), theirs);
    });
    assert_detected(dir.path(), &f, A, &f.vault);
}

#[test]
fn another_accounts_ciphertext_under_our_credential_id_fails() {
    let f = fixture();
    let dir = tampered(&f, |db| {
        let tokens = tree(db, "tokens");
        let key = token_key("default", &f.vault, A);
        let ours = get(&tokens, &key);
        let theirs = get(&tokens, &token_key("acme", &f.acme_vault, A));
        // Our credential id and labels, their key id, nonce and ciphertext.
        put(
            &tokens,
            &key,
            [&ours[..KEY_ID_AT], &theirs[KEY_ID_AT..]].concat(),
        );
    });
    assert_detected(dir.path(), &f, A, &f.cred_a);
}

#[test]
fn a_token_moved_to_another_url_fails_even_with_its_record_edited_to_match() {
    let f = fixture();
    let dir = tampered(&f, |db| {
        let tokens = tree(db, "tokens");
        let from = token_key("default", &f.vault, A);
        let value = get(&tokens, &from);
        tokens.remove(&from).expect("remove");
        put(&tokens, &token_key("default", &f.vault, C), value);
        let credentials = tree(db, "credentials");
        let key = credential_key("default", &f.vault, &f.cred_a);
        let record = get(&credentials, &key);
        let record = replace_first(&record, A.as_bytes(), C.as_bytes());
        put(
            &credentials,
            &key,
            replace_first(&record, A.as_bytes(), C.as_bytes()),
        );
    });
    assert_detected(dir.path(), &f, C, &f.cred_a);
    let store = open(dir.path());
    assert_eq!(bearer(&store, &f.vault, A).expect("lookup"), None);
}

#[test]
fn a_changed_key_id_fails() {
    let f = fixture();
    let dir = tampered(&f, |db| {
        let tokens = tree(db, "tokens");
        let key = token_key("default", &f.vault, A);
        let mut value = get(&tokens, &key);
        assert_eq!(value[KEY_ID_AT], 1, "the store's first key has id 1");
        value[KEY_ID_AT] = 2;
        put(&tokens, &key, value);
    });
    assert_detected(dir.path(), &f, A, &f.cred_a);
}

#[test]
fn the_untouched_fixture_resolves_every_token() {
    // Without this, the tests above could pass on a store that never resolves anything.
    let f = fixture();
    let dir = tampered(&f, |_| {});
    let store = open(dir.path());
    assert_eq!(
        bearer(&store, &f.vault, A).expect("lookup").as_deref(),
        Some("fake-token-a")
    );
    let acme = store.account("acme").expect("account");
    assert_eq!(
        bearer(&acme, &f.acme_vault, A).expect("lookup").as_deref(),
        Some("fake-token-acme")
    );
    assert!(problems(&store).is_empty());
}
