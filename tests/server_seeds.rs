//! Guards the seeds' dialect over HTTP: every curl request of the seed pages, replayed
//! against a running `vaultstore::server`, gets the answer its page documents (status,
//! shape, error type and message), and no answer ever holds a token.
#![cfg(feature = "server")]

mod server_support;
use serde_json::Value;
use server_support::Server;

/// The create-vault page's example request (English and Japanese pages alike).
const SEED_CREATE: &str = include_str!("data/seed_create_vault.json");

/// The getting-started page's "Create a Vault".
const GUIDE_CREATE: &str = r#"{
  "display_name": "My GitHub credentials",
  "credentials": [
    {
      "mcp_server_url": "https://mcp.github.com/sse",
      "protocol": "sse",
      "type": "static_bearer",
      "access_token": "ghp_xxxxxxxxxxxx"
    }
  ]
}"#;

/// The getting-started page's "Append a Credential".
const GUIDE_APPEND: &str = r#"{
  "mcp_server_url": "https://jira.example.com/mcp/sse",
  "protocol": "sse",
  "type": "static_bearer",
  "access_token": "jira_token_xxxxxxxx"
}"#;

fn assert_no_token(body: &Value) {
    let text = body.to_string();
    for token in [
        "your-access-token",
        "ghp_xxxxxxxxxxxx",
        "jira_token_xxxxxxxx",
    ] {
        assert!(!text.contains(token), "an answer holds a token: {text}");
    }
    assert!(!text.contains("access_token"), "{text}");
}

fn assert_time(value: &Value) {
    let text = value.as_str().expect("a timestamp string");
    assert!(
        chrono::DateTime::parse_from_rfc3339(text).is_ok() && text.ends_with('Z'),
        "{text}"
    );
}

fn assert_error(body: &Value, kind: &str, message: Option<&str>) {
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], kind, "{body}");
    if let Some(message) = message {
        assert_eq!(body["error"]["message"], message, "{body}");
    }
}

#[test]
fn create_vault_page_example_answers_201_with_the_documented_shape() {
    let s = Server::start();
    let vault = s
        .call("POST", "/api/v1/cloud/vaults", &s.admin, Some(SEED_CREATE))
        .expect(201);
    assert!(vault["id"].as_str().expect("id").starts_with("vault_"));
    assert_eq!(vault["type"], "vault");
    assert_eq!(vault["display_name"], "my-mcp-vault");
    assert_eq!(vault["status"], "active");
    assert_eq!(vault["metadata"], serde_json::json!({}));
    assert_time(&vault["created_at"]);
    assert_time(&vault["updated_at"]);
    let cred = &vault["credentials"][0];
    assert!(cred["id"].as_str().expect("id").starts_with("vcred_"));
    assert_eq!(cred["vault_id"], vault["id"]);
    assert_eq!(cred["mcp_server_url"], "https://example.com/mcp");
    assert_eq!(cred["protocol"], "sse");
    assert_eq!(cred["type"], "static_bearer");
    assert_eq!(cred["status"], "active");
    assert_time(&cred["created_at"]);
    assert_eq!(vault["credentials"].as_array().map(Vec::len), Some(1));
    assert_no_token(&vault);
}

#[test]
fn create_vault_page_errors() {
    let s = Server::start();
    let no_credentials = r#"{"display_name": "my-mcp-vault"}"#;
    let body = s
        .call(
            "POST",
            "/api/v1/cloud/vaults",
            &s.admin,
            Some(no_credentials),
        )
        .expect(400);
    assert_error(
        &body,
        "invalid_request_error",
        Some("At least one credential is required when creating a vault."),
    );

    let no_token = r#"{"display_name": "my-mcp-vault", "credentials": [{
        "mcp_server_url": "https://example.com/mcp", "protocol": "sse", "type": "static_bearer"}]}"#;
    let body = s
        .call("POST", "/api/v1/cloud/vaults", &s.admin, Some(no_token))
        .expect(400);
    assert_error(
        &body,
        "invalid_request_error",
        Some("Field 'access_token' is required for static_bearer type."),
    );

    let body = s
        .call("POST", "/api/v1/cloud/vaults", "", Some(SEED_CREATE))
        .expect(401);
    assert_error(&body, "TOKEN_INVALID", None);
    let body = s
        .call(
            "POST",
            "/api/v1/cloud/vaults",
            "vsk_0_wrong",
            Some(SEED_CREATE),
        )
        .expect(401);
    assert_error(&body, "TOKEN_INVALID", None);
}

#[test]
fn getting_started_flow_creates_appends_and_lists_without_tokens() {
    let s = Server::start();
    let vault = s
        .call("POST", "/api/v1/cloud/vaults", &s.admin, Some(GUIDE_CREATE))
        .expect(201);
    assert_no_token(&vault);
    let id = vault["id"].as_str().expect("id");
    let added = s
        .call(
            "POST",
            &format!("/api/v1/cloud/vaults/{id}/credentials"),
            &s.admin,
            Some(GUIDE_APPEND),
        )
        .expect(201);
    assert_eq!(added["vault_id"], id);
    assert_eq!(added["mcp_server_url"], "https://jira.example.com/mcp/sse");
    assert_eq!(added["status"], "active");
    assert_no_token(&added);
    let list = s
        .call(
            "GET",
            &format!("/api/v1/cloud/vaults/{id}/credentials"),
            &s.admin,
            None,
        )
        .expect(200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));
    assert_no_token(&list);

    // The runtime reads the tokens through resolve (the seeds' sessions are the
    // platform's, not this server's).
    let body = format!(
        r#"{{"vault_ids": ["{id}"], "mcp_server_url": "https://jira.example.com/mcp/sse"}}"#
    );
    let found = s
        .call("POST", "/vaultstore/v1/resolve", &s.runtime, Some(&body))
        .expect(200);
    assert_eq!(found["token"], "jira_token_xxxxxxxx");
    assert_eq!(found["credential_id"], added["id"]);
}

#[test]
fn list_vaults_page_examples() {
    let s = Server::start();
    let empty = s
        .call("GET", "/api/v1/cloud/vaults", &s.admin, None)
        .expect(200);
    assert_eq!(
        empty,
        serde_json::json!({"data": [], "first_id": null, "last_id": null, "has_more": false})
    );

    let mut ids = Vec::new();
    for name in ["my-mcp-vault", "my-mcp-other", "unrelated"] {
        let body = SEED_CREATE.replace("my-mcp-vault", name);
        let v = s
            .call("POST", "/api/v1/cloud/vaults", &s.admin, Some(&body))
            .expect(201);
        ids.push(v["id"].as_str().expect("id").to_owned());
    }
    let archived = &ids[1];
    s.call(
        "POST",
        &format!("/api/v1/cloud/vaults/{archived}/archive"),
        &s.admin,
        None,
    )
    .expect(200);

    // List all vaults: newest first, archived left out, no credentials in items.
    let all = s
        .call("GET", "/api/v1/cloud/vaults", &s.admin, None)
        .expect(200);
    let listed: Vec<&str> = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v["id"].as_str().expect("id"))
        .collect();
    assert_eq!(listed, [ids[2].as_str(), ids[0].as_str()]);
    assert_eq!(all["first_id"], ids[2].as_str());
    assert_eq!(all["last_id"], ids[0].as_str());
    assert_eq!(all["has_more"], false);
    assert!(all["data"][0].get("credentials").is_none());
    assert_eq!(all["data"][0]["status"], "active");

    // Paginate.
    let page = s
        .call("GET", "/api/v1/cloud/vaults?limit=1", &s.admin, None)
        .expect(200);
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["has_more"], true);
    let last = page["last_id"].as_str().expect("last_id");
    let next = s
        .call(
            "GET",
            &format!("/api/v1/cloud/vaults?limit=1&after_id={last}"),
            &s.admin,
            None,
        )
        .expect(200);
    assert_eq!(next["data"][0]["id"], ids[0].as_str());
    assert_eq!(next["has_more"], false);

    // Search by name, including archived vaults.
    let found = s
        .call(
            "GET",
            "/api/v1/cloud/vaults?name=my-mcp&include_archived=true",
            &s.admin,
            None,
        )
        .expect(200);
    let names: Vec<&str> = found["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v["display_name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["my-mcp-other", "my-mcp-vault"]);
    assert_eq!(found["data"][0]["status"], "archived");
    assert_time(&found["data"][0]["archived_at"]);

    let body = s.call("GET", "/api/v1/cloud/vaults", "", None).expect(401);
    assert_error(&body, "TOKEN_INVALID", None);

    // A bad parameter is a 400 naming it.
    let body = s
        .call("GET", "/api/v1/cloud/vaults?limit=zero", &s.admin, None)
        .expect(400);
    assert_error(&body, "invalid_request_error", None);
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .starts_with("limit:"));
}

#[test]
fn list_credentials_page_example_and_errors() {
    let s = Server::start();
    let body = SEED_CREATE.replace("\"sse\"", "\"streamable_http\"");
    let vault = s
        .call("POST", "/api/v1/cloud/vaults", &s.admin, Some(&body))
        .expect(201);
    let id = vault["id"].as_str().expect("id");
    let list = s
        .call(
            "GET",
            &format!("/api/v1/cloud/vaults/{id}/credentials"),
            &s.admin,
            None,
        )
        .expect(200);
    let cred = &list["data"][0];
    assert_eq!(cred["id"], vault["credentials"][0]["id"]);
    assert_eq!(cred["vault_id"], id);
    assert_eq!(cred["mcp_server_url"], "https://example.com/mcp");
    assert_eq!(cred["protocol"], "streamable_http");
    assert_eq!(cred["type"], "static_bearer");
    assert_eq!(cred["status"], "active");
    assert!(
        cred.get("archived_at").is_none(),
        "present only when archived"
    );
    assert_eq!(list["first_id"], cred["id"]);
    assert_eq!(list["last_id"], cred["id"]);
    assert_eq!(list["has_more"], false);
    assert_no_token(&list);

    // Archived credentials are left out unless asked for.
    let cid = cred["id"].as_str().expect("id");
    let archived = s
        .call(
            "POST",
            &format!("/api/v1/cloud/vaults/{id}/credentials/{cid}/archive"),
            &s.admin,
            None,
        )
        .expect(200);
    assert_eq!(archived["status"], "archived");
    assert_time(&archived["archived_at"]);
    let list = s
        .call(
            "GET",
            &format!("/api/v1/cloud/vaults/{id}/credentials"),
            &s.admin,
            None,
        )
        .expect(200);
    assert_eq!(list["data"], serde_json::json!([]));
    let list = s
        .call(
            "GET",
            &format!("/api/v1/cloud/vaults/{id}/credentials?include_archived=true"),
            &s.admin,
            None,
        )
        .expect(200);
    assert_eq!(list["data"][0]["status"], "archived");

    let body = s
        .call(
            "GET",
            "/api/v1/cloud/vaults/vault_00000000000000000000000000000000/credentials",
            &s.admin,
            None,
        )
        .expect(404);
    assert_error(&body, "not_found_error", None);
    let body = s
        .call(
            "GET",
            &format!("/api/v1/cloud/vaults/{id}/credentials"),
            "",
            None,
        )
        .expect(401);
    assert_error(&body, "TOKEN_INVALID", None);
}

#[test]
fn the_rest_of_the_dialect_get_update_delete_and_conflicts() {
    let s = Server::start();
    let vault = s
        .call("POST", "/api/v1/cloud/vaults", &s.admin, Some(SEED_CREATE))
        .expect(201);
    let id = vault["id"].as_str().expect("id");
    let got = s
        .call("GET", &format!("/api/v1/cloud/vaults/{id}"), &s.admin, None)
        .expect(200);
    assert_eq!(got["id"], id);
    let updated = s
        .call(
            "POST",
            &format!("/api/v1/cloud/vaults/{id}"),
            &s.admin,
            Some(r#"{"display_name": "renamed", "metadata": {"team": "infra"}}"#),
        )
        .expect(200);
    assert_eq!(updated["display_name"], "renamed");
    assert_eq!(updated["metadata"]["team"], "infra");

    // The same server twice in a vault is a conflict, and says not to retry.
    let dup = s.call(
        "POST",
        &format!("/api/v1/cloud/vaults/{id}/credentials"),
        &s.admin,
        Some(
            GUIDE_APPEND
                .replace("jira.example.com/mcp/sse", "example.com/mcp")
                .as_str(),
        ),
    );
    assert_eq!(dup.header("x-should-retry"), Some("false"));
    assert_error(&dup.expect(409), "conflict_error", None);

    let cid = vault["credentials"][0]["id"].as_str().expect("id");
    let deleted = s
        .call(
            "DELETE",
            &format!("/api/v1/cloud/vaults/{id}/credentials/{cid}"),
            &s.admin,
            None,
        )
        .expect(200);
    assert_eq!(
        deleted,
        serde_json::json!({"id": cid, "type": "vault_credential_deleted"})
    );
    let deleted = s
        .call(
            "DELETE",
            &format!("/api/v1/cloud/vaults/{id}"),
            &s.admin,
            None,
        )
        .expect(200);
    assert_eq!(
        deleted,
        serde_json::json!({"id": id, "type": "vault_deleted"})
    );
    s.call("GET", &format!("/api/v1/cloud/vaults/{id}"), &s.admin, None)
        .expect(404);

    // Every answer carries a request id.
    let answer = s.call("GET", "/api/v1/cloud/vaults", &s.admin, None);
    assert!(answer
        .header("request-id")
        .is_some_and(|id| id.starts_with("req_")));
}
