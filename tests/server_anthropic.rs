//! Guards the Anthropic dialect over HTTP as its SDK uses it: empty vaults, `auth`
//! credential shapes, `{data, next_page}` lists ending in `null`, archive and delete
//! with an empty JSON body, delete answers, `+00:00` times, and the error envelope with
//! `request_id` matching the `request-id` header.
#![cfg(feature = "server")]

mod server_support;
use serde_json::{json, Value};
use server_support::Server;

/// The headers the SDK sends besides its key.
const SDK: [(&str, &str); 2] = [
    ("anthropic-version", "2026-10-21"),
    ("anthropic-beta", "managed-agents-2026-04-01"),
];

fn sdk(s: &Server, method: &str, path: &str, body: Option<&str>) -> server_support::Answer {
    let key = s.admin.clone();
    let headers = [SDK[0], SDK[1], ("x-api-key", key.as_str())];
    s.call_with(method, path, &headers, false, body)
}

#[test]
fn vaults_are_created_empty_and_rendered_without_status() {
    let s = Server::start();
    let vault = sdk(
        &s,
        "POST",
        "/v1/vaults",
        Some(r#"{"display_name": "Example vault", "metadata": {"env": "test"}}"#),
    )
    .expect(200);
    let keys: Vec<&str> = vault
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "archived_at",
            "created_at",
            "display_name",
            "id",
            "metadata",
            "type",
            "updated_at"
        ]
    );
    assert_eq!(vault["type"], "vault");
    assert_eq!(vault["archived_at"], Value::Null);
    assert_eq!(vault["metadata"], json!({"env": "test"}));

    let id = vault["id"].as_str().expect("id");
    let updated = sdk(
        &s,
        "POST",
        &format!("/v1/vaults/{id}"),
        Some(r#"{"display_name": "Renamed", "metadata": {"env": null, "team": "a"}}"#),
    )
    .expect(200);
    assert_eq!(updated["display_name"], "Renamed");
    assert_eq!(updated["metadata"], json!({"team": "a"}));

    // Archive and delete, as the SDK sends them: a JSON content type and no body.
    let archived = sdk(&s, "POST", &format!("/v1/vaults/{id}/archive"), Some("")).expect(200);
    assert!(archived["archived_at"].is_string());
    let again = sdk(&s, "POST", &format!("/v1/vaults/{id}/archive"), Some(""));
    assert_eq!(again.header("x-should-retry"), Some("false"));
    let request_id = again.header("request-id").expect("request-id").to_owned();
    let body = again.expect(409);
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "conflict_error");
    assert_eq!(body["request_id"], request_id.as_str());

    let deleted = sdk(&s, "DELETE", &format!("/v1/vaults/{id}"), Some("")).expect(200);
    assert_eq!(deleted, json!({"id": id, "type": "vault_deleted"}));
    let body = sdk(&s, "GET", &format!("/v1/vaults/{id}"), None).expect(404);
    assert_eq!(body["error"]["type"], "not_found_error");
}

#[test]
fn credentials_have_auth_objects_and_never_secrets() {
    let s = Server::start();
    let vault = sdk(&s, "POST", "/v1/vaults", Some(r#"{"display_name": "v"}"#)).expect(200);
    let id = vault["id"].as_str().expect("id");
    let path = format!("/v1/vaults/{id}/credentials");

    let bearer = sdk(
        &s,
        "POST",
        &path,
        Some(
            r#"{"display_name": null, "auth": {"type": "static_bearer",
                "mcp_server_url": "https://mcp.example.com/mcp", "token": "sk-static"}}"#,
        ),
    )
    .expect(200);
    assert_eq!(bearer["type"], "vault_credential");
    assert_eq!(bearer["vault_id"], id);
    assert_eq!(bearer["display_name"], Value::Null);
    assert_eq!(bearer["metadata"], json!({}));
    assert_eq!(
        bearer["auth"],
        json!({"type": "static_bearer", "mcp_server_url": "https://mcp.example.com/mcp"})
    );
    assert_eq!(bearer["archived_at"], Value::Null);
    assert!(bearer.get("status").is_none());

    let oauth = sdk(
        &s,
        "POST",
        &path,
        Some(
            r#"{"display_name": "Linear", "auth": {"type": "mcp_oauth",
                "mcp_server_url": "https://mcp.linear.app/mcp", "access_token": "at-1",
                "expires_at": "2099-01-01T00:00:00+00:00",
                "refresh": {"client_id": "c1", "refresh_token": "rt-1",
                  "token_endpoint": "https://auth.example.com/token",
                  "token_endpoint_auth": {"type": "client_secret_post", "client_secret": "cs-1"},
                  "scope": "read"}}}"#,
        ),
    )
    .expect(200);
    assert_eq!(
        oauth["auth"],
        json!({
            "type": "mcp_oauth",
            "mcp_server_url": "https://mcp.linear.app/mcp",
            "expires_at": "2099-01-01T00:00:00.000000Z",
            "refresh": {
                "client_id": "c1",
                "token_endpoint": "https://auth.example.com/token",
                "token_endpoint_auth": {"type": "client_secret_post"},
                "scope": "read",
            },
        })
    );
    let text = format!("{bearer}{oauth}");
    for secret in ["sk-static", "at-1", "rt-1", "cs-1"] {
        assert!(!text.contains(secret), "{text}");
    }

    let cid = bearer["id"].as_str().expect("id");
    let updated = sdk(
        &s,
        "POST",
        &format!("{path}/{cid}"),
        Some(r#"{"display_name": "Main", "auth": {"type": "static_bearer", "token": "sk-2"}}"#),
    )
    .expect(200);
    assert_eq!(updated["display_name"], "Main");
    let archived = sdk(&s, "POST", &format!("{path}/{cid}/archive"), Some("")).expect(200);
    assert!(archived["archived_at"].is_string());
    let deleted = sdk(&s, "DELETE", &format!("{path}/{cid}"), Some("")).expect(200);
    assert_eq!(
        deleted,
        json!({"id": cid, "type": "vault_credential_deleted"})
    );
}

#[test]
fn lists_page_with_next_page_and_end_with_null() {
    let s = Server::start();
    let mut made = Vec::new();
    for i in 0..5 {
        let body = format!(r#"{{"display_name": "v{i}"}}"#);
        let v = sdk(&s, "POST", "/v1/vaults", Some(&body)).expect(200);
        made.push(v["id"].as_str().expect("id").to_owned());
    }
    made.reverse(); // newest first
    let mut seen = Vec::new();
    let mut query = "limit=2&include_archived=false".to_owned();
    for _ in 0..10 {
        let page = sdk(&s, "GET", &format!("/v1/vaults?{query}"), None).expect(200);
        assert_eq!(
            page.as_object().expect("object").keys().collect::<Vec<_>>(),
            ["data", "next_page"]
        );
        for v in page["data"].as_array().expect("data") {
            seen.push(v["id"].as_str().expect("id").to_owned());
        }
        match &page["next_page"] {
            Value::Null => break,
            Value::String(next) => query = format!("limit=2&include_archived=false&page={next}"),
            other => panic!("next_page {other}"),
        }
    }
    assert_eq!(
        seen, made,
        "every vault once, in order, and the last page says null"
    );

    // An exact multiple of the page size still ends with null, not an empty page.
    let page = sdk(&s, "GET", "/v1/vaults?limit=5", None).expect(200);
    assert_eq!(page["next_page"], Value::Null);
    let body = sdk(&s, "GET", "/v1/vaults?after_id=x", None).expect(400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
}
