//! What the backend stores: vaults, credentials, tokens and meta, by account.

use super::{account, backend, credential, vault};
use crate::api::id::RawId;
use crate::backend::{Backend, MetaKey};
use crate::error::Error;

#[test]
fn vaults_are_put_read_replaced_and_deleted() {
    let b = backend("vaults_round_trip");
    let acme = account("acme");
    b.transact(&mut |tx| tx.put_vault(&acme, &vault(7, 70, "seven", true, b"v1")))
        .expect("put");
    let mut r = b.reads().expect("reads");
    assert_eq!(
        r.vault(&acme, RawId(7)).expect("read"),
        Some(b"v1".to_vec().into())
    );
    assert!(r.vault_exists(&acme, RawId(7)).expect("exists"));
    assert!(!r.vault_exists(&acme, RawId(8)).expect("exists"));
    assert_eq!(r.vault(&acme, RawId(8)).expect("read"), None);
    drop(r);

    b.transact(&mut |tx| tx.put_vault(&acme, &vault(7, 70, "seven", false, b"v2")))
        .expect("replace");
    assert_eq!(
        b.reads()
            .expect("reads")
            .vault(&acme, RawId(7))
            .expect("read"),
        Some(b"v2".to_vec().into())
    );

    b.transact(&mut |tx| tx.delete_vault(&acme, RawId(7)))
        .expect("delete");
    assert_eq!(
        b.reads()
            .expect("reads")
            .vault(&acme, RawId(7))
            .expect("read"),
        None
    );
}

#[test]
fn accounts_do_not_see_each_other() {
    let b = backend("accounts_partition");
    let (acme, other) = (account("acme"), account("other"));
    b.transact(&mut |tx| {
        tx.put_vault(&acme, &vault(1, 1, "a", true, b"a"))?;
        tx.put_credential(&acme, &credential(1, 2, "https://x", true, b"c"))?;
        tx.put_token(&acme, RawId(1), "https://x", RawId(2), b"t")
    })
    .expect("put");
    let mut r = b.reads().expect("reads");
    assert_eq!(r.vault(&other, RawId(1)).expect("read"), None);
    assert_eq!(
        r.credential(&other, RawId(1), RawId(2)).expect("read"),
        None
    );
    assert_eq!(r.token(&other, RawId(1), "https://x").expect("read"), None);
    assert!(r.credential_ids(&other, RawId(1)).expect("ids").is_empty());
    let mut sink = super::Collect::new(20);
    assert!(!r
        .page(
            &other,
            crate::backend::ListScope::Vaults,
            &super::query(),
            &mut sink
        )
        .expect("page"));
    assert!(sink.taken.is_empty());
}

#[test]
fn credentials_are_listed_in_id_order_and_deleted() {
    let b = backend("credentials_round_trip");
    let acme = account("acme");
    b.transact(&mut |tx| {
        tx.put_vault(&acme, &vault(1, 1, "v", true, b"v"))?;
        for id in [30, 10, 20] {
            tx.put_credential(&acme, &credential(1, id, "https://x", true, b"c"))?;
        }
        // Another vault's credential is not in the list.
        tx.put_credential(&acme, &credential(2, 15, "https://x", true, b"c"))
    })
    .expect("put");
    let mut r = b.reads().expect("reads");
    assert_eq!(
        r.credential_ids(&acme, RawId(1)).expect("ids"),
        vec![RawId(10), RawId(20), RawId(30)]
    );
    assert_eq!(
        r.credential(&acme, RawId(1), RawId(20)).expect("read"),
        Some(b"c".to_vec().into())
    );
    assert_eq!(
        r.credential(&acme, RawId(2), RawId(20)).expect("read"),
        None
    );
    drop(r);
    b.transact(&mut |tx| tx.delete_credential(&acme, RawId(1), RawId(20)))
        .expect("delete");
    assert_eq!(
        b.reads()
            .expect("reads")
            .credential_ids(&acme, RawId(1))
            .expect("ids"),
        vec![RawId(10), RawId(30)]
    );
}

#[test]
fn a_vault_is_deleted_with_its_credentials_and_tokens() {
    let b = backend("delete_cascades");
    let acme = account("acme");
    b.transact(&mut |tx| {
        tx.put_vault(&acme, &vault(1, 1, "v", true, b"v"))?;
        tx.put_vault(&acme, &vault(2, 2, "w", true, b"w"))?;
        tx.put_credential(&acme, &credential(1, 10, "https://x", true, b"c"))?;
        tx.put_credential(&acme, &credential(2, 20, "https://x", true, b"c"))?;
        tx.put_token(&acme, RawId(1), "https://x", RawId(10), b"t")?;
        tx.put_token(&acme, RawId(2), "https://x", RawId(20), b"t")
    })
    .expect("put");
    b.transact(&mut |tx| tx.delete_vault(&acme, RawId(1)))
        .expect("delete");
    let mut r = b.reads().expect("reads");
    assert!(r.credential_ids(&acme, RawId(1)).expect("ids").is_empty());
    assert_eq!(r.token(&acme, RawId(1), "https://x").expect("token"), None);
    // The other vault keeps everything.
    assert_eq!(
        r.credential_ids(&acme, RawId(2)).expect("ids"),
        vec![RawId(20)]
    );
    assert!(r
        .token(&acme, RawId(2), "https://x")
        .expect("token")
        .is_some());
}

#[test]
fn a_url_holds_one_credentials_token() {
    let b = backend("tokens_primary_key");
    let acme = account("acme");
    let url = "https://mcp.example/sse";
    b.transact(&mut |tx| tx.put_token(&acme, RawId(1), url, RawId(10), b"first"))
        .expect("put");
    // The same credential replaces its entry (a new token, a refresh).
    b.transact(&mut |tx| tx.put_token(&acme, RawId(1), url, RawId(10), b"second"))
        .expect("replace");
    assert_eq!(
        b.reads()
            .expect("reads")
            .token(&acme, RawId(1), url)
            .expect("read"),
        Some(b"second".to_vec().into())
    );
    // Another credential at the same URL in the same vault is a conflict.
    let err = b
        .transact(&mut |tx| tx.put_token(&acme, RawId(1), url, RawId(11), b"third"))
        .expect_err("the primary key holds");
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert_eq!(
        b.reads()
            .expect("reads")
            .token(&acme, RawId(1), url)
            .expect("read"),
        Some(b"second".to_vec().into())
    );
    // Another vault may use the URL; once deleted, the URL is free again.
    b.transact(&mut |tx| tx.put_token(&acme, RawId(2), url, RawId(11), b"other"))
        .expect("another vault");
    b.transact(&mut |tx| {
        tx.delete_token(&acme, RawId(1), url)?;
        tx.put_token(&acme, RawId(1), url, RawId(11), b"third")
    })
    .expect("after delete");
    assert_eq!(
        b.reads()
            .expect("reads")
            .token(&acme, RawId(1), url)
            .expect("read"),
        Some(b"third".to_vec().into())
    );
}

#[test]
fn meta_values_and_the_largest_id() {
    let b = backend("meta");
    let mut r = b.reads().expect("reads");
    assert_eq!(r.meta(MetaKey::Store).expect("read"), None);
    assert_eq!(r.meta(MetaKey::LastId).expect("read"), None);
    drop(r);
    let acme = account("acme");
    let (small, large) = (RawId(5 << 80), RawId(9 << 80));
    b.transact(&mut |tx| {
        tx.put_meta(MetaKey::Store, b"store")?;
        tx.put_meta(MetaKey::Keys, b"keys")?;
        tx.put_vault(&acme, &vault(small.0, 1, "v", true, b"v"))?;
        tx.note_id(small)?;
        tx.put_credential(&acme, &credential(small.0, large.0, "u", true, b"c"))?;
        tx.note_id(large)
    })
    .expect("put");
    let mut r = b.reads().expect("reads");
    assert_eq!(
        r.meta(MetaKey::Store).expect("read"),
        Some(b"store".to_vec().into())
    );
    assert_eq!(
        r.meta(MetaKey::Keys).expect("read"),
        Some(b"keys".to_vec().into())
    );
    assert_eq!(
        r.meta(MetaKey::LastId).expect("read"),
        Some(large.bytes().to_vec().into())
    );
    drop(r);
    // A stored value (a store migrated from sled) counts when it is the largest.
    let larger = RawId(11 << 80);
    b.transact(&mut |tx| tx.put_meta(MetaKey::LastId, &larger.bytes()))
        .expect("put");
    assert_eq!(
        b.reads()
            .expect("reads")
            .meta(MetaKey::LastId)
            .expect("read"),
        Some(larger.bytes().to_vec().into())
    );
}

#[test]
fn debug_shows_the_server_and_schema_only() {
    let b = backend("debug");
    let shown = format!("{b:?}");
    assert!(
        shown.contains("127.0.0.1") || std::env::var("VAULTSTORE_TEST_PG").is_ok(),
        "{shown}"
    );
    assert!(shown.contains("debug"), "{shown}");
}
