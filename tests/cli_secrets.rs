//! Guards the CLI's secret handling: no command prints a token (without --reveal), in
//! either output form or on error, and no flag takes a token or passphrase as a value.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;

const URL: &str = "https://example.com/mcp";
const OTHER: &str = "https://jira.example.com/mcp";

fn assert_clean(what: &str, out: &str, err: &str) {
    assert!(
        !out.contains(TOKEN),
        "{what}: the token is on stdout: {out}"
    );
    assert!(
        !err.contains(TOKEN),
        "{what}: the token is on stderr: {err}"
    );
}

#[test]
fn no_command_prints_a_token() {
    let env = Env::new();
    let vault = env.vault("v", URL);
    let body = SEED_BODY.replace("your-access-token", TOKEN);
    let new_key = env.path("next.key");
    let new_key = new_key.to_str().expect("utf-8");
    let token_add = [
        "credential",
        "add",
        &vault,
        "--url",
        OTHER,
        "--protocol",
        "sse",
        "--token-stdin",
    ];
    let steps: Vec<Vec<&str>> = vec![
        vec!["vault", "create", "--body", "-"],
        vec![
            "vault",
            "create",
            "--name",
            "x",
            "--credential",
            URL,
            "--protocol",
            "sse",
            "--token-stdin",
        ],
        token_add.to_vec(),
        token_add.to_vec(), // a conflict: its error must not echo the token either
        vec!["vault", "get", &vault],
        vec!["vault", "list", "--include-archived"],
        vec!["vault", "update", &vault, "--metadata", "k=v"],
        vec!["credential", "list", &vault, "--include-archived"],
        vec!["resolve", "--vault", &vault, "--url", URL],
        vec!["resolve", "--vault", &vault, "--url", OTHER],
        vec!["verify"],
        vec!["rotate-key", "--new-key-file", new_key],
        vec!["--key-file", new_key, "vault", "archive", &vault],
        vec![
            "--key-file",
            new_key,
            "credential",
            "list",
            &vault,
            "--include-archived",
        ],
        vec!["--key-file", new_key, "vault", "delete", &vault],
    ];
    for step in steps {
        let stdin = if step.contains(&"--body") {
            body.as_str()
        } else {
            TOKEN
        };
        for json in [true, false] {
            if !json && (step.contains(&"rotate-key") || step.contains(&"delete")) {
                continue; // runs once
            }
            let mut cmd = env.cmd();
            if json {
                cmd.arg("--json");
            }
            let (_, out, err) = split(cmd.args(&step).write_stdin(stdin).output().expect("runs"));
            assert_clean(&format!("{step:?} json={json}"), &out, &err);
        }
    }
}

#[test]
fn tokens_are_never_taken_from_argv() {
    let env = Env::new();
    let vault = env.vault("v", URL);
    for flag in ["--token", "--access-token", "--secret", "--password"] {
        env.add_credential(&vault, OTHER, "sse")
            .args([flag, TOKEN])
            .assert()
            .code(USAGE);
    }
    // Under --json the usage error is the API's envelope too.
    let err = env.fails(&["credential", "add", &vault, "--token", TOKEN], "", USAGE);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert!(err["error"]["message"]
        .as_str()
        .expect("message")
        .contains("--token"));
    assert!(!err.to_string().contains(TOKEN));
    env.cmd()
        .args(["--passphrase", "hunter2", "vault", "list"])
        .assert()
        .code(USAGE);
}

/// Every option of every command, from --help: none that mentions a token, secret,
/// passphrase or password takes a value, except the --…-file ones (a path) and
/// --token-endpoint (a URL).
#[test]
fn no_option_takes_a_secret_value() {
    let commands: &[&[&str]] = &[
        &[],
        &["init"],
        &["vault", "create"],
        &["vault", "update"],
        &["credential", "add"],
        &["credential", "update"],
        &["resolve"],
        &["rotate-key"],
        &["verify"],
    ];
    for command in commands {
        let out = bare().args(*command).arg("--help").output().expect("runs");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        // The options, not the examples after them.
        let options = help.split("Example").next().unwrap_or_default();
        for line in options
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
        {
            let option = line.split("  ").next().unwrap_or(line);
            let secretive = ["token", "secret", "passphrase", "password"]
                .iter()
                .any(|w| option.contains(w));
            if secretive && option.contains('<') {
                let files = [
                    "--token-file <PATH>",
                    "--refresh-token-file <PATH>",
                    "--client-secret-file <PATH>",
                    "--token-endpoint <URL>",
                ];
                assert!(
                    files.iter().any(|f| option.starts_with(f)),
                    "{command:?}: {option}"
                );
            }
        }
    }
}
