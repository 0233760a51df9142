//! Guards who may do what over HTTP: missing, unknown and revoked keys (401), the
//! wrong role (403: admin keys never read tokens, runtime keys only resolve), another
//! workspace (403), keys made while the server runs, accounts kept apart, and bad input
//! or oversized bodies answered with clear 4xx, never a panic.
#![cfg(feature = "server")]

mod server_support;
use serde_json::json;
use server_support::Server;
use vaultstore::secrecy::ExposeSecret;
use vaultstore::server::{Limits, Role};

const SEED_CREATE: &str = include_str!("data/seed_create_vault.json");

fn vault(s: &Server) -> String {
    let v = s
        .call("POST", "/api/v1/cloud/vaults", &s.admin, Some(SEED_CREATE))
        .expect(201);
    v["id"].as_str().expect("id").to_owned()
}

fn resolve_body(id: &str) -> String {
    json!({"vault_ids": [id], "mcp_server_url": "https://example.com/mcp"}).to_string()
}

#[test]
fn roles_keep_admins_from_tokens_and_runtimes_from_management() {
    let s = Server::start();
    let id = vault(&s);
    let body = s
        .call(
            "POST",
            "/vaultstore/v1/resolve",
            &s.admin,
            Some(&resolve_body(&id)),
        )
        .expect(403);
    assert_eq!(body["error"]["type"], "permission_error");
    let body = s.call("GET", "/v1/vaults", &s.runtime, None).expect(403);
    assert_eq!(body["error"]["type"], "permission_error");
    s.call("GET", "/api/v1/cloud/vaults", &s.runtime, None)
        .expect(403);

    let found = s
        .call(
            "POST",
            "/vaultstore/v1/resolve",
            &s.runtime,
            Some(&resolve_body(&id)),
        )
        .expect(200);
    assert_eq!(found["token"], "your-access-token");
    assert_eq!(found["protocol"], "sse");
    assert_eq!(found["type"], "static_bearer");
    assert_eq!(found["mcp_server_url"], "https://example.com/mcp");
    assert!(found.get("expires_at").is_none());

    let other = json!({"vault_ids": [id], "mcp_server_url": "https://other.example/mcp"});
    let body = s
        .call(
            "POST",
            "/vaultstore/v1/resolve",
            &s.runtime,
            Some(&other.to_string()),
        )
        .expect(404);
    assert_eq!(body["error"]["type"], "not_found_error");
    let body = s
        .call(
            "POST",
            "/vaultstore/v1/resolve",
            &s.runtime,
            Some(r#"{"vault_ids": "x"}"#),
        )
        .expect(400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[test]
fn keys_made_and_revoked_while_running_count_at_once() {
    let s = Server::start();
    let new = s
        .keys
        .create("default", Role::Admin, None)
        .expect("creates while serving");
    let key = new.key.expose_secret().to_owned();
    s.call("GET", "/v1/vaults", &key, None).expect(200);
    s.keys.revoke(&new.info.id).expect("revokes");
    let body = s.call("GET", "/v1/vaults", &key, None).expect(401);
    assert_eq!(body["error"]["type"], "authentication_error");
    let body = s.call("GET", "/v1/vaults", "", None).expect(401);
    assert_eq!(body["error"]["type"], "authentication_error");
    let headers = [("authorization", "Basic Zm9vOmJhcg==")];
    s.call_with("GET", "/v1/vaults", &headers, false, None)
        .expect(401);
}

#[test]
fn accounts_are_apart_and_the_workspace_header_must_match() {
    let s = Server::start();
    let id = vault(&s);
    let acme = s.keys.create("acme", Role::Admin, None).expect("creates");
    let acme = acme.key.expose_secret().to_owned();
    let list = s.call("GET", "/v1/vaults", &acme, None).expect(200);
    assert_eq!(
        list["data"],
        json!([]),
        "another account's vaults are invisible"
    );
    s.call("GET", &format!("/v1/vaults/{id}"), &acme, None)
        .expect(404);

    let auth = format!("Bearer {acme}");
    let ok = [
        ("authorization", auth.as_str()),
        ("anthropic-workspace-id", "acme"),
    ];
    s.call_with("GET", "/v1/vaults", &ok, false, None)
        .expect(200);
    let other = [
        ("authorization", auth.as_str()),
        ("anthropic-workspace-id", "default"),
    ];
    let body = s
        .call_with("GET", "/v1/vaults", &other, false, None)
        .expect(403);
    assert_eq!(body["error"]["type"], "permission_error");
}

#[test]
fn bad_input_gets_clear_errors_never_a_panic() {
    let mut limits = Limits::default();
    limits.max_body_bytes = 4096;
    let s = Server::start_with(limits);
    let big = format!(r#"{{"display_name": "{}"}}"#, "a".repeat(5000));
    let body = s
        .call("POST", "/v1/vaults", &s.admin, Some(&big))
        .expect(413);
    assert_eq!(body["error"]["type"], "request_too_large");

    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let body = s
        .call("POST", "/v1/vaults", &s.admin, Some(&deep))
        .expect(400);
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("nested deeper"));

    for bad in [
        "",
        "{",
        "[]",
        "null",
        r#"{"display_name": 5}"#,
        r#"{"x": 1}"#,
        "\u{0}",
    ] {
        let body = s
            .call("POST", "/v1/vaults", &s.admin, Some(bad))
            .expect(400);
        assert_eq!(body["error"]["type"], "invalid_request_error", "{bad}");
        let body = s
            .call("POST", "/api/v1/cloud/vaults", &s.admin, Some(bad))
            .expect(400);
        assert_eq!(body["error"]["type"], "invalid_request_error", "{bad}");
    }
    let body = s.call("GET", "/v1/nothing", &s.admin, None).expect(404);
    assert_eq!(body["type"], "error");
    s.call("GET", "/v1/vaults/%FF%FE", &s.admin, None);
    s.call("GET", "/v1/vaults?limit=1000000000000", &s.admin, None)
        .expect(400);
}

#[test]
fn token_endpoints_on_internal_hosts_are_refused_at_create() {
    let s = Server::start();
    let v = s
        .call(
            "POST",
            "/v1/vaults",
            &s.admin,
            Some(r#"{"display_name": "v"}"#),
        )
        .expect(200);
    let path = format!("/v1/vaults/{}/credentials", v["id"].as_str().expect("id"));
    for endpoint in [
        "http://127.0.0.1:9/token",
        "http://localhost/token",
        "https://169.254.169.254/latest",
        "https://[::1]/token",
        "https://10.0.0.5/token",
    ] {
        let body = json!({"auth": {"type": "mcp_oauth", "mcp_server_url": "https://m.example/mcp",
            "access_token": "a", "refresh": {"client_id": "c", "refresh_token": "r",
            "token_endpoint": endpoint, "token_endpoint_auth": {"type": "none"}}}});
        let body = s
            .call("POST", &path, &s.admin, Some(&body.to_string()))
            .expect(400);
        let message = body["error"]["message"].as_str().expect("message");
        assert!(
            message.starts_with("auth.refresh.token_endpoint: names a loopback"),
            "{message}"
        );
    }
    let seeds = json!({"display_name": "v", "credentials": [{"mcp_server_url": "https://m.example/mcp",
        "protocol": "sse", "type": "mcp_oauth", "access_token": "a", "refresh": {"client_id": "c",
        "refresh_token": "r", "token_endpoint": "http://127.0.0.1/t"}}]});
    let body = s
        .call(
            "POST",
            "/api/v1/cloud/vaults",
            &s.admin,
            Some(&seeds.to_string()),
        )
        .expect(400);
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .starts_with("credentials[0].refresh.token_endpoint:"));
}
