//! Guards the CLI alongside a server: `--server URL` sends the vault, credential and
//! resolve commands to `vaultstore serve` and prints exactly what a local call prints;
//! the server's errors give the local exit codes; the API key is never printed; and a
//! store locked by a server is found through the file the server leaves in it
//! (`serve.json`, 0600, removed on shutdown), used with a key or explained without.
#![cfg(all(feature = "server", unix))]

mod cli_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cli_support::{split, Env, CONFLICT, INVALID, LOCKED, NOT_FOUND, TOKEN, WRONG_KEY};
use serde_json::Value;

/// A new key of `role`, written to a 0600 file; returns the file and the key.
fn key_file(env: &Env, role: &str) -> (PathBuf, String) {
    let made = env.json(&["api-key", "create", "--role", role], "");
    let key = made["key"].as_str().expect("key").to_owned();
    let path = env.path(&format!("{role}.key"));
    std::fs::write(&path, format!("{key}\n")).expect("key file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("0600");
    (path, key)
}

/// Runs `args` with `--json` against the server; returns code, stdout, stderr.
fn remote(env: &Env, url: &str, key: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = env
        .cmd()
        .arg("--json")
        .arg("--server")
        .arg(url)
        .arg("--api-key-file")
        .arg(key)
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("runs");
    split(out)
}

fn ok(answer: (i32, String, String)) -> String {
    assert_eq!(answer.0, 0, "stderr: {}", answer.2);
    answer.1
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn commands_through_the_server_print_what_local_ones_print() {
    let env = Env::new();
    let vault = env.vault("local", "https://example.com/mcp");
    let cred = env.json(&["credential", "list", &vault], "")["data"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let reads: [&[&str]; 4] = [
        &["vault", "get", &vault],
        &["vault", "list", "--include-archived", "--limit", "5"],
        &["credential", "get", &vault, &cred],
        &["credential", "list", &vault, "--name", "example"],
    ];
    let local: Vec<String> = reads.iter().map(|args| ok(env.run(args, ""))).collect();
    let (admin, _) = key_file(&env, "admin");
    let (runtime, _) = key_file(&env, "runtime");
    let resolve = [
        "resolve",
        "--vault",
        &vault,
        "--url",
        "https://example.com/mcp",
        "--reveal",
    ];
    let local_resolved = ok(env.run(&resolve, ""));

    let served = env.serve(&["--listen", "127.0.0.1:0"]);
    let url = &served.url.clone();
    for (args, local) in reads.iter().zip(&local) {
        assert_eq!(&ok(remote(&env, url, &admin, args, "")), local, "{args:?}");
    }
    // Resolve takes a runtime key (an admin key never reads a token).
    assert_eq!(
        ok(remote(&env, url, &runtime, &resolve, "")),
        local_resolved
    );
    let (code, _, err) = remote(&env, url, &admin, &resolve, "");
    assert_eq!(code, WRONG_KEY, "{err}");
    assert_eq!(json(&err)["error"]["type"], "permission_error");

    // Writes: each answer in the library's shapes.
    let made = json(&ok(remote(
        &env,
        url,
        &admin,
        &[
            "vault",
            "create",
            "--name",
            "remote",
            "--metadata",
            "team=infra",
            "--credential",
            "https://a.example/mcp",
            "--protocol",
            "sse",
            "--token-stdin",
        ],
        TOKEN,
    )));
    let id = made["id"].as_str().expect("id");
    assert_eq!(made["type"], "vault");
    assert_eq!(made["metadata"]["team"], "infra");
    assert_eq!(
        made["credentials"][0]["mcp_server_url"],
        "https://a.example/mcp"
    );
    let added = json(&ok(remote(
        &env,
        url,
        &admin,
        &[
            "credential",
            "add",
            id,
            "--url",
            "https://b.example/mcp",
            "--protocol",
            "streamable_http",
            "--display-name",
            "B",
            "--token-stdin",
        ],
        TOKEN,
    )));
    let added_id = added["id"].as_str().expect("id");
    assert_eq!(added["display_name"], "B");
    let updated = json(&ok(remote(
        &env,
        url,
        &admin,
        &[
            "vault",
            "update",
            id,
            "--name",
            "renamed",
            "--unset-metadata",
            "team",
        ],
        "",
    )));
    assert_eq!(updated["display_name"], "renamed");
    assert_eq!(updated["metadata"], serde_json::json!({}));
    let renamed = json(&ok(remote(
        &env,
        url,
        &admin,
        &[
            "credential",
            "update",
            id,
            added_id,
            "--unset-display-name",
            "--token-stdin",
        ],
        "new-token",
    )));
    assert!(renamed.get("display_name").is_none(), "{renamed}");
    let archived = json(&ok(remote(
        &env,
        url,
        &admin,
        &["credential", "archive", id, added_id],
        "",
    )));
    assert_eq!(archived["status"], "archived");
    let deleted = json(&ok(remote(
        &env,
        url,
        &admin,
        &["credential", "delete", id, added_id],
        "",
    )));
    assert_eq!(
        deleted,
        serde_json::json!({"id": added_id, "type": "vault_credential_deleted"})
    );
    let archived = json(&ok(remote(
        &env,
        url,
        &admin,
        &["vault", "archive", id],
        "",
    )));
    assert_eq!(archived["status"], "archived");
    let deleted = json(&ok(remote(&env, url, &admin, &["vault", "delete", id], "")));
    assert_eq!(
        deleted,
        serde_json::json!({"id": id, "type": "vault_deleted"})
    );

    // The server's errors give the local exit codes and envelopes.
    let errors: [(&[&str], &str, i32, &str); 4] = [
        (
            &["vault", "get", "vault_00000000000000000000000000000000"],
            "",
            NOT_FOUND,
            "not_found_error",
        ),
        (
            &[
                "credential",
                "add",
                &vault,
                "--url",
                "https://example.com/mcp",
                "--protocol",
                "sse",
                "--token-stdin",
            ],
            TOKEN,
            CONFLICT,
            "conflict_error",
        ),
        (
            &["vault", "list", "--limit", "0"],
            "",
            INVALID,
            "invalid_request_error",
        ),
        (
            &["--account", "other", "vault", "list"],
            "",
            WRONG_KEY,
            "permission_error",
        ),
    ];
    for (args, stdin, code, kind) in errors {
        let (got, out, err) = remote(&env, url, &admin, args, stdin);
        assert_eq!(got, code, "{args:?}: {out} {err}");
        assert_eq!(json(&err)["error"]["type"], kind, "{args:?}");
    }
    let unknown = ["vault", "get", "vault_00000000000000000000000000000000"];
    let (_, _, remote_err) = remote(&env, url, &admin, &unknown, "");
    drop(served);
    // The same envelope as the local call (made once the server has let go).
    let (code, _, local_err) = env.run(&unknown, "");
    assert_eq!(code, NOT_FOUND);
    assert_eq!(json(&remote_err), json(&local_err));
    // No server there: "other", saying so.
    let (code, _, err) = remote(&env, url, &admin, &["vault", "list"], "");
    assert_eq!(code, 8, "{err}");
    assert!(err.contains("cannot reach the server"), "{err}");
}

#[test]
fn the_api_key_is_never_on_the_command_line_or_in_output() {
    let env = Env::new();
    let (_, key) = key_file(&env, "admin");
    let served = env.serve(&["--listen", "127.0.0.1:0"]);
    // A key on the command line is refused without being echoed.
    let (code, out, err) = env.run(
        &["--server", &served.url, "--api-key", &key, "vault", "list"],
        "",
    );
    assert_eq!(code, 2);
    assert!(!out.contains(&key) && !err.contains(&key), "{err}");
    // No key at all: a usage error naming both ways to give one.
    let (code, _, err) = env.run(&["--server", &served.url, "vault", "list"], "");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--api-key-file") && err.contains("VAULTSTORE_API_KEY"),
        "{err}"
    );
    // A wrong key: the server's 401, the CLI's wrong-key code; neither key printed.
    let wrong = env.path("wrong.key");
    std::fs::write(&wrong, "vsk_not_a_real_key_0123456789").expect("file");
    let (code, out, err) = remote(&env, &served.url, &wrong, &["vault", "list"], "");
    assert_eq!(code, WRONG_KEY, "{err}");
    assert!(
        !err.contains("vsk_not_a_real_key") && !out.contains("vsk_not"),
        "{err}"
    );
    // The environment variable works too, and the right key is not printed either.
    let out = env
        .cmd()
        .env("VAULTSTORE_SERVER", &served.url)
        .env("VAULTSTORE_API_KEY", &key)
        .args(["vault", "list"])
        .output()
        .expect("runs");
    let (code, out, err) = split(out);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&key) && !err.contains(&key));
}

#[test]
fn a_store_held_by_a_server_is_found_through_its_file() {
    let env = Env::new();
    env.vault("held", "https://example.com/mcp");
    let local_list = ok(env.run(&["vault", "list"], ""));
    let (_, key) = key_file(&env, "admin");
    let mut served = env.serve(&["--listen", "127.0.0.1:0"]);

    let file = env.store.join("serve.json");
    let found = json(&std::fs::read_to_string(&file).expect("serve.json"));
    assert_eq!(found["url"], served.url.as_str());
    assert_eq!(found["pid"], served.child.id());
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // No key: still "locked", and the message says how to go through the server.
    let (code, _, err) = env.run(&["vault", "list"], "");
    assert_eq!(code, LOCKED, "{err}");
    let message = json(&err)["error"]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(
        message.contains(&format!("--server {}", served.url)) && message.contains("--api-key-file"),
        "{message}"
    );
    // With a key in the environment, the command goes there, and prints what a
    // local call printed.
    let out = env
        .cmd()
        .arg("--json")
        .env("VAULTSTORE_API_KEY", &key)
        .args(["vault", "list"])
        .output()
        .expect("runs");
    let (code, out, err) = split(out);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, local_list);
    assert!(err.contains(&served.url), "says where it went: {err}");
    // A command that needs the store itself names the server to stop.
    let (code, _, err) = env.run(&["verify"], "");
    assert_eq!(code, LOCKED);
    assert!(err.contains("stop the server"), "{err}");

    assert!(served.stop(), "exits 0 on SIGTERM");
    assert!(!file.exists(), "serve.json removed on shutdown");
}

#[test]
fn a_stale_file_is_ignored_and_replaced() {
    let env = Env::new();
    let file = env.store.join("serve.json");
    // A server that crashed: its process is gone, nothing listens.
    std::fs::write(&file, r#"{"pid": 2147483646, "url": "http://127.0.0.1:1"}"#).expect("file");
    env.json(&["vault", "list"], "");
    let served = env.serve(&["--listen", "127.0.0.1:0"]);
    let found = json(&std::fs::read_to_string(&file).expect("serve.json"));
    assert_eq!(found["pid"], served.child.id());
}
