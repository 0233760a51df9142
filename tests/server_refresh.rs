//! Guards OAuth refresh behind the server: resolve refreshes an expiring `mcp_oauth`
//! token at its endpoint and answers the new one with its expiry; a refused refresh is
//! a 502 whose message never quotes the endpoint's answer, and never the stale token.
#![cfg(feature = "server")]

mod oauth_support;
mod server_support;

use chrono::Utc;
use oauth_support::TokenServer;
use serde_json::json;
use server_support::Server;
use vaultstore::server::Limits;

fn setup(endpoint: &TokenServer) -> (Server, String) {
    let s = Server::start_opts(Limits::default(), true);
    let v = s
        .call(
            "POST",
            "/v1/vaults",
            &s.admin,
            Some(r#"{"display_name": "o"}"#),
        )
        .expect(200);
    let id = v["id"].as_str().expect("id").to_owned();
    let expires = (Utc::now() + chrono::Duration::seconds(10)).to_rfc3339();
    let body = json!({"auth": {"type": "mcp_oauth", "mcp_server_url": "https://m.example/mcp",
        "access_token": "access-0", "expires_at": expires,
        "refresh": {"client_id": "c", "refresh_token": "refresh-0",
            "token_endpoint": endpoint.url, "token_endpoint_auth": {"type": "none"}}}});
    s.call(
        "POST",
        &format!("/v1/vaults/{id}/credentials"),
        &s.admin,
        Some(&body.to_string()),
    )
    .expect(200);
    (s, id)
}

fn resolve(s: &Server, id: &str) -> server_support::Answer {
    let body = json!({"vault_ids": [id], "mcp_server_url": "https://m.example/mcp"});
    s.call(
        "POST",
        "/vaultstore/v1/resolve",
        &s.runtime,
        Some(&body.to_string()),
    )
}

#[test]
fn resolve_refreshes_an_expiring_token() {
    let endpoint = TokenServer::start("refresh-0");
    let (s, id) = setup(&endpoint);
    let found = resolve(&s, &id).expect(200);
    assert_eq!(found["type"], "mcp_oauth");
    assert_ne!(found["token"], "access-0");
    assert!(found["expires_at"].is_string());
    assert_eq!(endpoint.request_count(), 1);
}

#[test]
fn a_failed_refresh_is_a_502_without_the_endpoints_words() {
    let endpoint = TokenServer::start("refresh-0");
    endpoint.script(
        400,
        r#"{"error": "invalid_grant", "error_description": "MARKER-from-the-endpoint"}"#,
    );
    let (s, id) = setup(&endpoint);
    let answer = resolve(&s, &id);
    let text = answer.body.to_string();
    let body = answer.expect(502);
    assert_eq!(body["error"]["type"], "api_error");
    assert!(!text.contains("MARKER"), "{text}");
    assert!(!text.contains("access-0"), "{text}");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("invalid_grant"));
    // The failure is recorded on the credential, as the Anthropic dialect shows it.
    let page = s
        .call(
            "GET",
            &format!("/v1/vaults/{id}/credentials"),
            &s.admin,
            None,
        )
        .expect(200);
    let state = &page["data"][0]["refresh_state"];
    assert_eq!(state["needs_reauthorization"], true, "{page}");
    assert_eq!(state["last_error"]["code"], "invalid_grant", "{page}");
    assert!(!page.to_string().contains("MARKER"), "{page}");
}
