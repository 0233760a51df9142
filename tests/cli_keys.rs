//! Guards `rotate-key` (new key file first, old key refused after) and `verify` (its
//! report, in both output forms).
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;
use predicates::prelude::*;

const URL: &str = "https://example.com/mcp";

#[test]
fn rotate_to_a_new_key_file_then_only_it_opens_the_store() {
    let env = Env::new();
    let vault = env.vault("v", URL);
    let new_key = env.path("store.key.new");
    let report = env.json(
        &[
            "rotate-key",
            "--new-key-file",
            new_key.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(report["key_id"], 2);
    assert_eq!(report["tokens_resealed"], 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&new_key)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    env.fails(&["vault", "list"], "", WRONG_KEY);
    let new = new_key.to_str().expect("utf-8");
    let found = env.json(
        &[
            "--key-file",
            new,
            "resolve",
            "--vault",
            &vault,
            "--url",
            URL,
            "--reveal",
        ],
        "",
    );
    assert_eq!(found["access_token"], TOKEN);

    // The human form says what to keep.
    let newer = env.path("store.key.3");
    env.cmd()
        .args(["--key-file", new, "rotate-key", "--new-key-file"])
        .arg(&newer)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "Keep {}",
            newer.display()
        )))
        .stdout(predicate::str::contains("no longer opens"));

    // An existing file is never overwritten.
    env.fails(
        &[
            "--key-file",
            newer.to_str().expect("utf-8"),
            "rotate-key",
            "--new-key-file",
            new,
        ],
        "",
        CONFLICT,
    );
    env.cmd().arg("rotate-key").assert().code(USAGE);
}

#[test]
fn verify_reports_a_healthy_store() {
    let env = Env::new();
    env.vault("a", URL);
    env.vault("b", URL);
    let report = env.json(&["verify"], "");
    assert_eq!(report["ok"], true);
    assert_eq!(report["vaults"], 2);
    assert_eq!(report["credentials"], 2);
    assert_eq!(report["tokens_opened"], 2);
    assert_eq!(report["problems"], serde_json::json!([]));
    env.cmd()
        .arg("verify")
        .assert()
        .success()
        .stdout(predicate::str::contains("no problems"))
        // No spinner when stderr is not a terminal.
        .stderr("");
}
