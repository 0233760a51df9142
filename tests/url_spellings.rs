//! Guards "one active credential per URL" against other spellings of the same URL: each
//! spelling is a conflict beside the first, finds it in a session, and spellings that
//! a URL parser would silently rewrite are refused.

mod common;
use common::*;

const URL: &str = "https://good.example/mcp";

/// Spellings of URL that name the same resource (RFC 3986 §6.2.2–6.2.3).
const SAME: [&str; 8] = [
    "https://good.example/mcp?",
    "https://good.example./mcp",
    "https://good.example/%6Dcp",
    "https://good.example/%6dcp",
    "https://good.example/m%63p",
    "https://GOOD.example:443/%6D%63%70?",
    "https://good.example/./mcp",
    "https://good.example:/mcp",
];

/// Spellings refused outright, and a word of the rule each breaks.
const REFUSED: [(&str, &str); 9] = [
    ("https://good.example/mcp#x", "fragment"),
    ("https://good.example/mcp#", "fragment"),
    ("https://good.example/m\tcp", "control"),
    ("https://good.example/mcp\n", "white space"),
    ("https://good.example/m\ncp", "control"),
    ("https://good.example\\mcp", "'\\'"),
    ("https:good.example/mcp", "//"),
    ("https://:@good.example/mcp", "user name"),
    ("https:///nohost", "host"),
];

fn every_spelling_of_a_url_is_a_conflict_beside_it(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = vault_with(&store, "v", URL, "t");
    for spelling in SAME {
        let err = store
            .add_credential(&vault.id, credential(spelling, "t2"))
            .expect_err(spelling);
        assert_eq!(err.api_type(), "conflict_error", "{spelling}: {err}");
    }
}

fn a_session_finds_the_credential_under_every_spelling(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = vault_with(&store, "v", URL, "t");
    for spelling in SAME {
        assert_eq!(
            resolve(&store, &[&vault.id], spelling).as_deref(),
            Some("t"),
            "{spelling}"
        );
    }
    // And the other way round: stored under an odd spelling, found under the plain one.
    let other = vault_with(&store, "w", "https://Other.example./%6Dcp?", "u");
    assert_eq!(
        resolve(&store, &[&other.id], "https://other.example/mcp").as_deref(),
        Some("u")
    );
}

fn the_url_is_returned_as_given(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = vault_with(&store, "v", "https://Good.example./%6dcp", "t");
    let creds = store
        .list_credentials(&vault.id, &Default::default())
        .expect("list");
    assert_eq!(creds.data[0].mcp_server_url, "https://Good.example./%6dcp");
}

fn spellings_a_parser_would_rewrite_are_refused_on_add_and_lookup(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = vault_with(&store, "v", URL, "t");
    let session = store.session(&[&vault.id]).expect("session");
    for (spelling, rule) in REFUSED {
        let err = store
            .add_credential(&vault.id, credential(spelling, "t2"))
            .expect_err(spelling);
        assert_eq!(err.api_type(), "invalid_request_error", "{spelling:?}");
        assert!(err.to_string().contains(rule), "{spelling:?}: {err}");
        assert_eq!(err.field(), Some("mcp_server_url"), "{spelling:?}");
        let err = session.bearer_token(spelling).expect_err(spelling);
        assert_eq!(err.api_type(), "invalid_request_error", "{spelling:?}");
    }
}

conformance!(
    every_spelling_of_a_url_is_a_conflict_beside_it,
    a_session_finds_the_credential_under_every_spelling,
    the_url_is_returned_as_given,
    spellings_a_parser_would_rewrite_are_refused_on_add_and_lookup,
);
