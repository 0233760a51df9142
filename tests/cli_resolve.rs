//! Guards `vaultstore resolve`: it names the credential a session would use, shows the
//! token only with --reveal, lets the first vault win, and keeps accounts apart.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;
use predicates::prelude::*;

const URL: &str = "https://example.com/mcp";

#[test]
fn resolve_names_the_credential_and_hides_the_token() {
    let env = Env::new();
    let vault = env.vault("v", URL);
    let found = env.json(&["resolve", "--vault", &vault, "--url", URL], "");
    assert_eq!(found["vault_id"], vault.as_str());
    assert!(found["credential_id"]
        .as_str()
        .expect("id")
        .starts_with("vcred_"));
    assert_eq!(found["protocol"], "sse");
    assert!(found.get("access_token").is_none());

    env.cmd()
        .args([
            "resolve",
            "--vault",
            &vault,
            "--url",
            "HTTPS://EXAMPLE.com:443/mcp",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(vault.as_str()))
        .stdout(predicate::str::contains(TOKEN).not());

    env.cmd()
        .args(["resolve", "--vault", &vault, "--url", URL, "--reveal"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "access_token    {TOKEN}\n"
        )));
    let revealed = env.json(
        &["resolve", "--vault", &vault, "--url", URL, "--reveal"],
        "",
    );
    assert_eq!(revealed["access_token"], TOKEN);
}

#[test]
fn the_first_vault_wins_and_misses_are_not_found() {
    let env = Env::new();
    let first = env.vault("first", URL);
    let second = env.vault("second", URL);
    let found = env.json(
        &[
            "resolve", "--vault", &second, "--vault", &first, "--url", URL,
        ],
        "",
    );
    assert_eq!(found["vault_id"], second.as_str());

    let err = env.fails(
        &[
            "resolve",
            "--vault",
            &first,
            "--url",
            "https://other.example/mcp",
        ],
        "",
        NOT_FOUND,
    );
    assert_eq!(err["error"]["type"], "not_found_error");
    env.fails(
        &["resolve", "--vault", "vault_nope", "--url", URL],
        "",
        NOT_FOUND,
    );
    env.fails(
        &["resolve", "--vault", &first, "--url", "not a url"],
        "",
        INVALID,
    );

    env.json(&["vault", "archive", &first], "");
    env.fails(&["resolve", "--vault", &first, "--url", URL], "", INVALID);
    env.cmd()
        .args(["resolve", "--url", URL])
        .assert()
        .code(USAGE);
}

#[test]
fn accounts_do_not_see_each_other() {
    let env = Env::new();
    let theirs = env.json(
        &[
            "--account",
            "team-a",
            "vault",
            "create",
            "--name",
            "a",
            "--credential",
            URL,
            "--protocol",
            "sse",
            "--token-stdin",
        ],
        TOKEN,
    );
    let id = theirs["id"].as_str().expect("id");
    env.json(&["--account", "team-a", "vault", "get", id], "");
    env.fails(&["vault", "get", id], "", NOT_FOUND);
    env.fails(
        &[
            "--account",
            "team-b",
            "resolve",
            "--vault",
            id,
            "--url",
            URL,
        ],
        "",
        NOT_FOUND,
    );
    assert_eq!(
        env.json(&["vault", "list"], "")["data"],
        serde_json::json!([])
    );
    env.fails(&["--account", "bad name!", "vault", "list"], "", INVALID);
}

#[test]
fn resolve_prints_the_stored_url_not_the_query() {
    let env = Env::new();
    let stored = "https://Example.com/%6Dcp";
    let vault = env.vault("v", stored);
    let query = "HTTPS://EXAMPLE.com:443/mcp";
    let found = env.json(&["resolve", "--vault", &vault, "--url", query], "");
    assert_eq!(found["mcp_server_url"], stored);
    env.cmd()
        .args(["resolve", "--vault", &vault, "--url", query])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "mcp_server_url  {stored}\n"
        )));
}
