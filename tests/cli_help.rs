//! Guards the help text: every command has an example, and the top-level help documents
//! the exit codes.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::bare;
use predicates::prelude::*;

#[test]
fn every_command_has_an_example() {
    let commands: &[&[&str]] = &[
        &["init"],
        &["vault", "create"],
        &["vault", "get"],
        &["vault", "list"],
        &["vault", "update"],
        &["vault", "archive"],
        &["vault", "delete"],
        &["credential", "add"],
        &["credential", "get"],
        &["credential", "update"],
        &["credential", "list"],
        &["credential", "archive"],
        &["credential", "delete"],
        &["resolve"],
        &["rotate-key"],
        &["verify"],
        &["backup"],
    ];
    for command in commands {
        bare()
            .args(*command)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn the_top_level_help_lists_the_exit_codes() {
    let assert = bare().arg("--help").assert().success();
    let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for row in [
        "2  usage",
        "3  invalid request",
        "4  not found",
        "5  conflict",
        "6  the store is open",
        "7  wrong key",
        "8  other",
        "9  verify",
        "10  refresh failed",
    ] {
        assert!(help.contains(row), "missing '{row}' in:\n{help}");
    }
    bare().assert().code(2);
}
