//! Guards the `credential` commands and how tokens are read: stdin, a file, never a
//! terminal that is not there; and the exit codes for bad URL, bad protocol, unknown
//! ids and duplicate URLs.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;
use predicates::prelude::*;

const URL: &str = "https://jira.example.com/mcp/sse";

fn add(env: &Env, vault: &str, url: &str, stdin: &str) -> (i32, String, String) {
    let mut cmd = env.add_credential(vault, url, "streamable_http");
    let out = cmd
        .args(["--json", "--token-stdin"])
        .write_stdin(stdin)
        .output();
    split(out.expect("runs"))
}

fn resolve_token(env: &Env, vault: &str, url: &str) -> String {
    let found = env.json(&["resolve", "--vault", vault, "--url", url, "--reveal"], "");
    found["access_token"].as_str().expect("token").to_owned()
}

#[test]
fn add_reads_the_token_from_stdin_without_its_newline() {
    let env = Env::new();
    let vault = env.vault("v", "https://example.com/mcp");
    let (code, out, err) = add(&env, &vault, URL, &format!("{TOKEN}\n"));
    assert_eq!(code, 0, "{err}");
    let cred: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(cred["id"].as_str().expect("id").starts_with("vcred_"));
    assert_eq!(cred["vault_id"], vault.as_str());
    assert_eq!(cred["mcp_server_url"], URL);
    assert_eq!(cred["protocol"], "streamable_http");
    assert_eq!(cred["type"], "static_bearer");
    assert_eq!(cred["status"], "active");
    assert!(cred.get("access_token").is_none());
    assert_eq!(
        resolve_token(&env, &vault, URL),
        TOKEN,
        "exactly one newline dropped"
    );
}

#[test]
fn add_reads_the_token_from_a_file() {
    let env = Env::new();
    let vault = env.vault("v", "https://example.com/mcp");
    let file = env.path("jira.token");
    write(&file, "file-token\r\n");
    env.add_credential(&vault, URL, "sse")
        .arg("--token-file")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains(URL));
    assert_eq!(resolve_token(&env, &vault, URL), "file-token");
}

#[test]
fn without_a_token_source_or_a_terminal_it_is_a_usage_error() {
    let env = Env::new();
    let vault = env.vault("v", "https://example.com/mcp");
    env.add_credential(&vault, URL, "sse")
        .assert()
        .code(USAGE)
        .stderr(predicate::str::contains("--token-stdin"));
    env.cmd()
        .args([
            "vault",
            "create",
            "--name",
            "n",
            "--credential",
            URL,
            "--protocol",
            "sse",
        ])
        .assert()
        .code(USAGE);
    // Nothing was stored.
    assert_eq!(count(&env.json(&["vault", "list"], "")), 1);
    let missing = env.path("missing.token");
    env.add_credential(&vault, URL, "sse")
        .arg("--token-file")
        .arg(&missing)
        .assert()
        .code(USAGE);
}

#[test]
fn bad_input_has_its_own_exit_codes() {
    let env = Env::new();
    let vault = env.vault("v", "https://example.com/mcp");
    let err = add(&env, &vault, "not a url", TOKEN);
    assert_eq!(err.0, INVALID, "{}", err.2);
    assert!(err.2.contains("invalid_request_error") && err.2.contains("mcp_server_url"));
    assert_eq!(add(&env, &vault, "ftp://example.com/mcp", TOKEN).0, INVALID);
    let empty = add(&env, &vault, URL, "");
    assert_eq!(empty.0, INVALID, "an empty token: {}", empty.2);

    env.add_credential(&vault, URL, "http")
        .arg("--token-stdin")
        .write_stdin(TOKEN)
        .assert()
        .code(USAGE)
        .stderr(predicate::str::contains("streamable_http"));

    let dup = add(&env, &vault, "HTTPS://Example.com:443/mcp", TOKEN);
    assert_eq!(dup.0, CONFLICT, "same server in normal form: {}", dup.2);
    assert!(dup.2.contains("conflict_error"));

    let missing_vault = format!("vault_{}", "0".repeat(32));
    assert_eq!(add(&env, &missing_vault, URL, TOKEN).0, NOT_FOUND);
}

#[test]
fn get_list_archive_delete() {
    let env = Env::new();
    let vault = env.vault("v", "https://example.com/mcp");
    let (_, out, _) = add(&env, &vault, URL, TOKEN);
    let cred: serde_json::Value = serde_json::from_str(&out).expect("json");
    let id = cred["id"].as_str().expect("id");

    assert_eq!(env.json(&["credential", "get", &vault, id], ""), cred);
    let err = env.fails(&["credential", "get", &vault, "vcred_nope"], "", NOT_FOUND);
    assert_eq!(
        err["error"]["message"],
        "Credential 'vcred_nope' was not found."
    );
    env.fails(&["credential", "list", "vault_nope"], "", NOT_FOUND);

    let page = env.json(&["credential", "list", &vault], "");
    assert_eq!(count(&page), 2);
    assert_eq!(page["first_id"], id, "newest first");
    let named = env.json(
        &[
            "credential",
            "list",
            &vault,
            "--name",
            "JIRA",
            "--limit",
            "5",
        ],
        "",
    );
    assert_eq!(count(&named), 1);

    let archived = env.json(&["credential", "archive", &vault, id], "");
    assert_eq!(archived["status"], "archived");
    assert!(archived["archived_at"].is_string());
    env.fails(&["credential", "archive", &vault, id], "", CONFLICT);
    assert_eq!(count(&env.json(&["credential", "list", &vault], "")), 1);
    let all = env.json(&["credential", "list", &vault, "--include-archived"], "");
    assert_eq!(count(&all), 2);

    let deleted = env.json(&["credential", "delete", &vault, id], "");
    assert_eq!(
        deleted,
        serde_json::json!({"id": id, "type": "vault_credential_deleted"})
    );
    env.fails(&["credential", "get", &vault, id], "", NOT_FOUND);

    env.cmd()
        .args(["credential", "list", &vault])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(
                r"(?m)^ID\s+STATUS\s+TYPE\s+PROTOCOL\s+EXPIRES_AT\s+REFRESH\s+MCP_SERVER_URL$",
            )
            .expect("regex"),
        )
        .stdout(predicate::str::contains("https://example.com/mcp"));
}
