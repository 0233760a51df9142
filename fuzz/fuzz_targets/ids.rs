//! Arbitrary text as vault and credential ids and as list cursors: the answer is the
//! item, not found, or an invalid request naming the cursor; never a panic or another
//! error, and a cursor is accepted only in the id format.
#![no_main]

#[path = "fixture.rs"]
mod fixture;

use fixture::fixture;
use vaultstore::{Error, ListParams};

/// `prefix` and 32 lowercase hex digits: the only form a cursor may take.
fn is_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn cursor_params(text: &str, before: bool) -> ListParams {
    let mut params = ListParams::default();
    if before {
        params.before_id = Some(text.to_owned());
    } else {
        params.after_id = Some(text.to_owned());
    }
    params
}

libfuzzer_sys::fuzz_target!(|text: &str| {
    let f = fixture();
    match f.store.get_vault(text) {
        Ok(v) => assert_eq!(v.id, text),
        Err(e) => assert!(matches!(e, Error::NotFound { .. }), "{e:?}"),
    }
    match f.store.get_credential(&f.vault, text) {
        Ok(c) => assert_eq!(c.id, text),
        Err(e) => assert!(matches!(e, Error::NotFound { .. }), "{e:?}"),
    }
    match f.store.get_credential(text, &f.credential) {
        Ok(_) => assert_eq!(text, f.vault),
        Err(e) => assert!(matches!(e, Error::NotFound { .. }), "{e:?}"),
    }
    for before in [false, true] {
        match f.store.list_vaults(&cursor_params(text, before)) {
            Ok(_) => assert!(is_id(text, "vault_"), "cursor {text:?} accepted"),
            Err(e) => assert_eq!(
                e.field(),
                Some(if before { "before_id" } else { "after_id" })
            ),
        }
        match f
            .store
            .list_credentials(&f.vault, &cursor_params(text, before))
        {
            Ok(_) => assert!(is_id(text, "vcred_"), "cursor {text:?} accepted"),
            Err(e) => assert_eq!(e.api_type(), "invalid_request_error", "{e:?}"),
        }
    }
});
