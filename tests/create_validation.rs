//! Guards create: the seed bodies parse and store as-is, every field rule gives an
//! `invalid_request_error` naming the field, and a failed create stores nothing.

mod common;
use common::*;
use vaultstore::{CreateCredential, CreateVault, ListParams, Protocol, Status};

/// The hosted API's create-vault example, as its documentation shows it.
const SEED_BODY: &str = include_str!("data/seed_create_vault.json");

fn the_seed_request_creates_the_seed_answer(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = store
        .create_vault(CreateVault::from_json(SEED_BODY).expect("parses"))
        .expect("creates");
    assert!(vault.id.starts_with("vault_") && vault.id.len() == 6 + 32);
    assert_eq!(vault.display_name, "my-mcp-vault");
    assert_eq!(vault.status, Status::Active);
    assert!(vault.metadata.is_empty());
    assert_eq!(vault.created_at, vault.updated_at);
    let creds = vault
        .credentials
        .as_ref()
        .expect("create answers with credentials");
    assert_eq!(creds.len(), 1);
    let cred = &creds[0];
    assert!(cred.id.starts_with("vcred_") && cred.id.len() == 6 + 32);
    assert_eq!(cred.vault_id, vault.id);
    assert_eq!(cred.mcp_server_url, "https://example.com/mcp");
    assert_eq!(cred.protocol, Protocol::Sse);
    assert!(
        cred.id[6..] > vault.id[6..],
        "a credential created after its vault has a larger id"
    );
    assert!(cred.created_at >= vault.created_at);
    assert_eq!(
        resolve(&store, &[&vault.id], "https://example.com/mcp").as_deref(),
        Some("your-access-token")
    );
}

fn the_guide_example_with_metadata_round_trips_through_get(backend: &Backend) {
    let (_dir, store) = backend.store();
    let req = CreateVault::new("env", vec![credential("https://a.example/mcp", "t")])
        .with_metadata("team", "infra")
        .with_metadata("env", "prod");
    let created = store.create_vault(req).expect("creates");
    let got = store.get_vault(&created.id).expect("gets");
    assert_eq!(got.metadata, created.metadata);
    assert_eq!(got.credentials, None, "get answers without credentials");
    assert_eq!(
        got.created_at, created.created_at,
        "the stored time equals the answered one"
    );
}

fn create_err(req: CreateVault) -> vaultstore::Error {
    let (_dir, store) = store();
    let err = store.create_vault(req).expect_err("must be refused");
    let page = store
        .list_vaults(&ListParams {
            include_archived: true,
            ..Default::default()
        })
        .expect("list");
    assert!(page.data.is_empty(), "a refused create stores nothing");
    err
}

#[test]
fn no_credentials_is_the_seed_message() {
    let err = create_err(CreateVault::from_json(r#"{"display_name": "x"}"#).expect("parses"));
    assert_eq!(err.api_type(), "invalid_request_error");
    assert_eq!(
        err.to_string(),
        "At least one credential is required when creating a vault."
    );
    let err = create_err(CreateVault::new("x", vec![]));
    assert_eq!(err.field(), Some("credentials"));
}

#[test]
fn missing_access_token_is_the_seed_message() {
    let body = SEED_BODY.replace(
        r#""access_token": "your-access-token""#,
        r#""display_name": "none""#,
    );
    let err = CreateVault::from_json(&body).expect_err("no token");
    assert_eq!(err.api_type(), "invalid_request_error");
    assert_eq!(
        err.to_string(),
        "Field 'access_token' is required for static_bearer type."
    );
    assert_eq!(err.field(), Some("credentials[0].access_token"));
}

#[test]
fn each_field_rule_names_its_field() {
    let cases: Vec<(CreateVault, &str)> = vec![
        (
            CreateVault::new("", vec![credential("https://a.example/", "t")]),
            "display_name",
        ),
        (
            CreateVault::new("  ", vec![credential("https://a.example/", "t")]),
            "display_name",
        ),
        (
            CreateVault::new("n".repeat(256), vec![credential("https://a.example/", "t")]),
            "display_name",
        ),
        (
            CreateVault::new("n", vec![credential("not a url", "t")]),
            "credentials[0].mcp_server_url",
        ),
        (
            CreateVault::new("n", vec![credential("ftp://a.example/", "t")]),
            "credentials[0].mcp_server_url",
        ),
        (
            CreateVault::new("n", vec![credential("https://a.example/", "")]),
            "credentials[0].access_token",
        ),
        (
            CreateVault::new(
                "n",
                vec![credential("https://a.example/", &"t".repeat(8193))],
            ),
            "credentials[0].access_token",
        ),
        (
            CreateVault::new(
                "n",
                vec![
                    credential("https://a.example/", "t"),
                    credential("https://b.example/", ""),
                ],
            ),
            "credentials[1].access_token",
        ),
        (
            CreateVault::new("n", vec![credential("https://a.example/", "t")])
                .with_metadata("k", "v".repeat(513)),
            "metadata.k",
        ),
        (
            CreateVault::new("n", vec![credential("https://a.example/", "t")])
                .with_metadata("k".repeat(65), "v"),
            "metadata",
        ),
    ];
    for (req, field) in cases {
        let err = create_err(req);
        assert_eq!(err.api_type(), "invalid_request_error", "{err}");
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(
            err.to_string().starts_with(field) || field == "credentials",
            "{err}"
        );
    }
}

fn limits_are_inclusive(backend: &Backend) {
    let (_dir, store) = backend.store();
    let mut req = CreateVault::new(
        "n".repeat(255),
        vec![credential("https://a.example/", &"t".repeat(8192))],
    );
    for i in 0..16 {
        req = req.with_metadata(format!("{i:0>64}"), "v".repeat(512));
    }
    store
        .create_vault(req)
        .expect("every limit reached exactly is accepted");
    let too_many = (0..17).fold(
        CreateVault::new("n", vec![credential("https://a.example/", "t")]),
        |r, i| r.with_metadata(format!("k{i}"), "v"),
    );
    assert_eq!(create_err(too_many).field(), Some("metadata"));
}

#[test]
fn two_credentials_for_one_server_conflict() {
    let err = create_err(CreateVault::new(
        "n",
        vec![
            credential("https://a.example/mcp", "1"),
            credential("HTTPS://A.example:443/mcp", "2"),
        ],
    ));
    assert_eq!(err.api_type(), "conflict_error", "{err}");
    assert!(
        err.to_string().contains("credentials[1].mcp_server_url"),
        "{err}"
    );
}

#[test]
fn more_credentials_than_the_limit_are_refused() {
    let creds: Vec<CreateCredential> = (0..21)
        .map(|i| credential(&format!("https://s{i}.example/"), "t"))
        .collect();
    let err = create_err(CreateVault::new("n", creds));
    assert_eq!(err.field(), Some("credentials"));
    assert!(err.to_string().contains("20"), "{err}");
}

#[test]
fn a_bad_json_body_names_the_field() {
    for (body, field) in [
        (
            SEED_BODY.replace("\"sse\"", "\"websocket\""),
            "credentials[0].protocol",
        ),
        (
            SEED_BODY.replace("static_bearer", "oauth2"),
            "credentials[0].type",
        ),
        (SEED_BODY.replace("\"my-mcp-vault\"", "42"), "display_name"),
        (r#"{"credentials": []}"#.to_owned(), "display_name"),
        (r#"[1, 2]"#.to_owned(), "body"),
    ] {
        let err = CreateVault::from_json(&body).expect_err(&body);
        assert_eq!(err.api_type(), "invalid_request_error");
        assert_eq!(err.field(), Some(field), "{err}");
    }
}

conformance!(
    the_seed_request_creates_the_seed_answer,
    the_guide_example_with_metadata_round_trips_through_get,
    limits_are_inclusive,
);
