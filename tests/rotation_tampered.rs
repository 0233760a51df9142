//! Guards key rotation over a tampered token: the rotation completes for every healthy
//! token, counts the tampered one, and never turns it into a readable token.

mod common;
use common::*;
use vaultstore::{Error, MasterKey};

#[test]
fn a_tampered_token_does_not_block_rotation() {
    let dir = tempfile::tempdir().expect("dir");
    let (healthy, tampered) = {
        let store = open(&dir);
        (
            vault_with(&store, "ok", "https://ok.example/", "fine"),
            vault_with(&store, "bad", "https://bad.example/", "gone"),
        )
    };
    let tampered_cred = tampered.credentials.as_ref().expect("creds")[0].id.clone();
    {
        // Flip the last byte (the AEAD tag) of the tampered vault's sealed token.
        let db = sled::open(dir.path().join("data")).expect("raw sled");
        let tokens = db.open_tree("tokens").expect("tree");
        let key = tokens
            .iter()
            .keys()
            .map(|k| k.expect("key"))
            .find(|k| k.ends_with(b"https://bad.example/"))
            .expect("the tampered vault's token");
        let mut value = tokens.get(&key).expect("get").expect("value").to_vec();
        // The access token's tag ends 2 bytes before the entry's end (two absent secrets).
        let at = value.len() - 3;
        value[at] ^= 0x01;
        tokens.insert(&key, value).expect("insert");
        db.flush().expect("flush");
    }
    let store = open(&dir);
    let lookup = store
        .session(&[&tampered.id])
        .expect("session")
        .bearer_token("https://bad.example/");
    assert!(matches!(lookup, Err(Error::Corrupted { .. })), "{lookup:?}");

    let report = store
        .rotate_key(MasterKey::from_bytes([5; 32]))
        .expect("rotation completes");
    assert_eq!((report.tokens_resealed, report.tokens_unreadable), (1, 1));
    assert_eq!(
        resolve(&store, &[&healthy.id], "https://ok.example/").as_deref(),
        Some("fine")
    );
    let err = store
        .session(&[&tampered.id])
        .expect("session")
        .bearer_token("https://bad.example/");
    assert!(
        matches!(err, Err(Error::Corrupted { .. })),
        "still refused after rotation"
    );
    let verify = store.verify().expect("verify");
    assert_eq!(verify.problems.len(), 1, "{:?}", verify.problems);
    assert!(
        verify.problems[0].contains(&tampered_cred),
        "{:?}",
        verify.problems
    );
    drop(store);
    vaultstore::VaultStore::open(dir.path(), MasterKey::from_bytes([5; 32]))
        .expect("the new key opens it");
}
