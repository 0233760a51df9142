//! Guards `vaultstore compact` (the store still opens and holds its vaults) and
//! `rotate-key --destroy-old-key` (the old key file is zeroed and removed; without the
//! flag a warning says the old key still opens earlier copies).
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;
use predicates::prelude::*;

const URL: &str = "https://example.com/mcp";

#[test]
fn compact_keeps_the_live_vaults() {
    let env = Env::new();
    let kept = env.vault("kept", URL);
    let gone = env.vault("gone", URL);
    env.json(&["vault", "delete", &gone], "");
    let report = env.json(&["compact"], "");
    assert!(
        report["bytes_after"].as_u64().expect("a size") > 0,
        "{report}"
    );
    env.json(&["vault", "get", &kept], "");
    env.fails(&["vault", "get", &gone], "", NOT_FOUND);
    env.cmd()
        .arg("compact")
        .assert()
        .success()
        .stdout(predicate::str::contains("Compacted the store"));
}

#[test]
fn rotate_key_destroys_the_old_key_file_only_when_asked() {
    let env = Env::new();
    let vault = env.vault("v", URL);
    let second = env.path("second.key");
    env.cmd()
        .args(["rotate-key", "--new-key-file"])
        .arg(&second)
        .assert()
        .success()
        .stderr(predicate::str::contains("still opens backups"));
    assert!(env.key.exists(), "kept without --destroy-old-key");

    let third = env.path("third.key");
    let answer = env.json(
        &[
            "--key-file",
            second.to_str().expect("utf-8"),
            "rotate-key",
            "--new-key-file",
            third.to_str().expect("utf-8"),
            "--destroy-old-key",
        ],
        "",
    );
    assert_eq!(answer["old_key_file_destroyed"], true);
    assert!(!second.exists(), "the old key file is gone");
    let key = third.to_str().expect("utf-8");
    env.json(&["--key-file", key, "vault", "get", &vault], "");
}

#[test]
fn destroy_old_key_with_a_passphrase_store_is_a_usage_error() {
    let env = Env::empty();
    env.json(&["--passphrase-stdin", "init"], "correct horse battery\n");
    let new_key = env.path("new.key");
    env.fails(
        &[
            "--passphrase-stdin",
            "rotate-key",
            "--new-key-file",
            new_key.to_str().expect("utf-8"),
            "--destroy-old-key",
        ],
        "correct horse battery\n",
        USAGE,
    );
}
