//! Guards the `vault` commands: create (flags, the API's JSON body on stdin or from a
//! file), get, list with its parameters, update, archive, delete; their JSON shapes,
//! human output and exit codes.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;
use predicates::prelude::*;
use serde_json::Value;

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn create_from_flags_answers_the_api_shape() {
    let env = Env::new();
    let token_file = env.path("token");
    write(&token_file, &format!("{TOKEN}\n"));
    let vault = env.json(
        &[
            "vault",
            "create",
            "--name",
            "github",
            "--metadata",
            "team=infra",
            "--metadata",
            "env=prod",
            "--credential",
            "https://mcp.github.com/sse",
            "--protocol",
            "sse",
            "--token-file",
            token_file.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(
        keys(&vault),
        [
            "created_at",
            "credentials",
            "display_name",
            "id",
            "metadata",
            "status",
            "type",
            "updated_at"
        ]
    );
    assert!(vault["id"].as_str().expect("id").starts_with("vault_"));
    assert_eq!(vault["type"], "vault");
    assert_eq!(vault["display_name"], "github");
    assert_eq!(vault["status"], "active");
    assert_eq!(vault["metadata"]["team"], "infra");
    let cred = &vault["credentials"][0];
    assert_eq!(
        keys(cred),
        [
            "created_at",
            "id",
            "mcp_server_url",
            "metadata",
            "protocol",
            "status",
            "type",
            "updated_at",
            "vault_id"
        ]
    );
    assert_eq!(cred["vault_id"], vault["id"]);
    assert_eq!(cred["type"], "static_bearer");
    assert_eq!(cred["protocol"], "sse");
}

#[test]
fn the_seed_body_works_as_is_on_stdin_and_from_a_file() {
    let env = Env::new();
    let vault = env.json(&["vault", "create"], SEED_BODY);
    assert_eq!(vault["display_name"], "my-mcp-vault");
    assert_eq!(
        vault["credentials"][0]["mcp_server_url"],
        "https://example.com/mcp"
    );

    let env = Env::new();
    let vault = env.json(&["vault", "create", "--body", "-"], SEED_BODY);
    assert_eq!(vault["credentials"][0]["protocol"], "sse");

    let env = Env::new();
    let file = env.path("body.json");
    write(&file, SEED_BODY);
    env.cmd()
        .args(["vault", "create", "--body"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("my-mcp-vault"));

    let bad = SEED_BODY.replace("\"sse\"", "\"http\"");
    let err = env.fails(&["vault", "create"], &bad, INVALID);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert!(err["error"]["message"]
        .as_str()
        .expect("message")
        .contains("credentials[0].protocol"));
}

#[test]
fn a_body_on_stdin_needs_no_flag_in_either_output_form() {
    let env = Env::new();
    env.cmd()
        .args(["vault", "create"])
        .write_stdin(SEED_BODY)
        .assert()
        .success()
        .stdout(predicate::str::contains("my-mcp-vault"));
    // An empty stdin is no body: the usage error says what to give.
    env.cmd()
        .args(["vault", "create"])
        .write_stdin("")
        .assert()
        .code(USAGE)
        .stderr(predicate::str::contains("--name"));
    env.cmd()
        .args(["vault", "create", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("not a terminal"));
}

#[test]
fn create_checks_its_input() {
    let env = Env::new();
    // No credential: the API's own rule and message.
    let err = env.fails(&["vault", "create", "--name", "empty"], "", INVALID);
    assert_eq!(
        err["error"]["message"],
        "At least one credential is required when creating a vault."
    );
    // Neither a name nor a body, in human mode.
    env.cmd().args(["vault", "create"]).assert().code(USAGE);
    // Malformed flags.
    env.cmd()
        .args(["vault", "create", "--name", "x", "--metadata", "novalue"])
        .assert()
        .code(USAGE);
    env.cmd()
        .args([
            "vault",
            "create",
            "--name",
            "x",
            "--credential",
            "https://a.example/mcp",
        ])
        .assert()
        .code(USAGE);
}

#[test]
fn get_update_archive_delete() {
    let env = Env::new();
    let id = env.vault("one", "https://example.com/mcp");

    let got = env.json(&["vault", "get", &id], "");
    assert_eq!(got["id"], id.as_str());
    assert!(
        got.get("credentials").is_none(),
        "only create answers credentials"
    );

    let updated = env.json(
        &[
            "vault",
            "update",
            &id,
            "--name",
            "renamed",
            "--metadata",
            "a=1",
            "--metadata",
            "b=2",
        ],
        "",
    );
    assert_eq!(updated["display_name"], "renamed");
    let updated = env.json(&["vault", "update", &id, "--unset-metadata", "a"], "");
    assert_eq!(updated["metadata"], serde_json::json!({"b": "2"}));

    let archived = env.json(&["vault", "archive", &id], "");
    assert_eq!(archived["status"], "archived");
    assert!(archived["archived_at"].is_string());
    let err = env.fails(&["vault", "archive", &id], "", CONFLICT);
    assert_eq!(err["error"]["type"], "conflict_error");
    env.fails(&["vault", "update", &id, "--name", "x"], "", INVALID);

    let deleted = env.json(&["vault", "delete", &id], "");
    assert_eq!(
        deleted,
        serde_json::json!({"id": id, "type": "vault_deleted"})
    );
    let err = env.fails(&["vault", "get", &id], "", NOT_FOUND);
    assert_eq!(
        err["error"]["message"],
        format!("Vault '{id}' was not found.")
    );
}

#[test]
fn a_metadata_key_set_and_unset_at_once_is_refused_by_name() {
    let env = Env::new();
    let id = env.vault("one", "https://example.com/mcp");
    env.json(&["vault", "update", &id, "--metadata", "keep=1"], "");
    for args in [
        ["--metadata", "team=1", "--unset-metadata", "team"],
        ["--metadata", "team=1", "--metadata", "team=2"],
    ] {
        let mut line = vec!["vault", "update", &id];
        line.extend(args);
        let err = env.fails(&line, "", USAGE);
        let message = err["error"]["message"].as_str().expect("message");
        assert!(message.contains("'team'"), "{args:?}: {message}");
    }
    let mut line = vec!["vault", "create", "--name", "x", "--metadata", "k=1"];
    line.extend(["--metadata", "k=2", "--credential", "https://a.example/mcp"]);
    line.extend(["--protocol", "sse", "--token-stdin"]);
    let err = env.fails(&line, TOKEN, USAGE);
    assert!(err["error"]["message"]
        .as_str()
        .expect("message")
        .contains("'k'"));
    // Nothing changed.
    let got = env.json(&["vault", "get", &id], "");
    assert_eq!(got["metadata"], serde_json::json!({"keep": "1"}));
    assert_eq!(count(&env.json(&["vault", "list"], "")), 1);
}

#[test]
fn unknown_ids_are_not_found_in_both_output_forms() {
    let env = Env::new();
    let err = env.fails(&["vault", "get", "vault_nope"], "", NOT_FOUND);
    assert_eq!(
        err,
        serde_json::json!({"type": "error", "error": {
        "type": "not_found_error", "message": "Vault 'vault_nope' was not found."}})
    );
    env.cmd()
        .args(["vault", "delete", "vault_nope"])
        .assert()
        .code(NOT_FOUND)
        .stdout("")
        .stderr(predicate::str::contains(
            "Vault 'vault_nope' was not found.",
        ))
        .stderr(predicate::str::contains("{").not());
}

#[test]
fn list_pages_filters_and_prints_a_table() {
    let env = Env::new();
    let a = env.vault("alpha", "https://a.example/mcp");
    let b = env.vault("beta", "https://b.example/mcp");
    let c = env.vault("gamma", "https://c.example/mcp");

    let page = env.json(&["vault", "list"], "");
    assert_eq!(keys(&page), ["data", "first_id", "has_more", "last_id"]);
    let ids: Vec<&str> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [c.as_str(), b.as_str(), a.as_str()], "newest first");
    assert!(page["data"][0].get("credentials").is_none());

    let first = env.json(&["vault", "list", "--limit", "2"], "");
    assert_eq!(first["has_more"], true);
    let last = first["last_id"].as_str().expect("last id");
    let next = env.json(&["vault", "list", "--after", last], "");
    assert_eq!(next["data"][0]["id"], a.as_str());
    assert_eq!(next["has_more"], false);
    let back = env.json(&["vault", "list", "--before", &a], "");
    assert_eq!(count(&back), 2);

    let named = env.json(&["vault", "list", "--name", "ET"], "");
    assert_eq!(named["data"][0]["id"], b.as_str());

    env.json(&["vault", "archive", &b], "");
    assert_eq!(count(&env.json(&["vault", "list"], "")), 2);
    let all = env.json(&["vault", "list", "--include-archived"], "");
    assert_eq!(count(&all), 3);

    let future = env.json(
        &["vault", "list", "--created-gte", "2999-01-01T00:00:00Z"],
        "",
    );
    assert_eq!(
        future,
        serde_json::json!({"data": [], "first_id": null, "last_id": null, "has_more": false})
    );

    env.fails(&["vault", "list", "--limit", "0"], "", INVALID);
    env.fails(
        &["vault", "list", "--after", &a, "--before", &c],
        "",
        INVALID,
    );
    env.cmd()
        .args(["vault", "list", "--created-lte", "yesterday"])
        .assert()
        .code(USAGE);

    env.cmd()
        .args(["vault", "list", "--limit", "1"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^ID\s+STATUS\s+CREATED_AT\s+NAME$").expect("regex"))
        .stdout(predicate::str::contains("gamma"))
        .stdout(predicate::str::contains(format!("--after {c}")));
}
