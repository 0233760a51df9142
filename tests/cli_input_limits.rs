//! Guards the CLI's bounded reads: a token, a JSON body or a passphrase line larger than
//! its limit is refused as soon as the limit is passed, without reading the rest.
#![cfg(feature = "cli")]

mod cli_support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use cli_support::*;

const URL: &str = "https://example.com/mcp";
const MIB: usize = 1 << 20;

/// Runs the program with a stdin that sends `mib` MiB and then stays open without
/// ending. A bounded read fails once past its limit; an unbounded one waits for the end
/// that never comes, and the test fails after a timeout instead of filling memory.
fn run_on_endless_stdin(env: &Env, args: &[&str], mib: usize) -> (i32, String) {
    let mut child = Command::cargo_bin("vaultstore")
        .expect("the binary (--features cli)")
        .env_remove("VAULTSTORE_PATH")
        .env_remove("VAULTSTORE_KEY_FILE")
        .env("XDG_CONFIG_HOME", env.config_dir())
        .arg("--store")
        .arg(&env.store)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    std::thread::spawn(move || {
        let chunk = vec![b'a'; MIB];
        for _ in 0..mib {
            if stdin.write_all(&chunk).is_err() {
                return; // the program stopped reading: what a bounded read does
            }
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().expect("kill");
            panic!("{args:?}: still reading stdin after {mib} MiB: the read is unbounded");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    (status.code().unwrap_or(-1), err)
}

#[test]
fn a_token_on_stdin_is_read_up_to_its_limit_only() {
    let env = Env::new();
    let vault = env.vault("v", URL);
    let args = [
        "credential",
        "add",
        &vault,
        "--url",
        "https://other.example/mcp",
        "--protocol",
        "sse",
        "--token-stdin",
    ];
    let (code, err) = run_on_endless_stdin(&env, &args, 16);
    assert_eq!(code, INVALID, "{err}");
    assert!(err.contains("8192 bytes"), "{err}");
}

#[test]
fn a_body_on_stdin_is_read_up_to_its_limit_only() {
    let env = Env::new();
    let (code, err) = run_on_endless_stdin(&env, &["vault", "create", "--body", "-"], 16);
    assert_eq!(code, INVALID, "{err}");
    assert!(err.contains("1 MiB"), "{err}");
}

#[test]
fn a_passphrase_line_is_read_up_to_its_limit_only() {
    let env = Env::new();
    let (code, err) = run_on_endless_stdin(&env, &["--passphrase-stdin", "vault", "list"], 16);
    assert_eq!(code, INVALID, "{err}");
    assert!(err.contains("passphrase"), "{err}");
}

#[test]
fn a_token_at_the_limit_with_its_newline_fits_and_one_byte_more_does_not() {
    let env = Env::new();
    let vault = env.vault("v", URL);
    let add = |url: &str, stdin: String| {
        let mut cmd = env.add_credential(&vault, url, "sse");
        split(
            cmd.arg("--token-stdin")
                .write_stdin(stdin)
                .output()
                .expect("runs"),
        )
    };
    let (code, _, err) = add("https://a.example/mcp", format!("{}\r\n", "t".repeat(8192)));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = add("https://b.example/mcp", "t".repeat(8193));
    assert_eq!(code, INVALID, "{err}");
    assert!(err.contains("8192"), "{err}");
}

#[test]
fn a_body_file_of_the_limit_fits_and_one_byte_more_does_not() {
    let env = Env::new();
    let file = env.path("body.json");
    // JSON allows white space after the document: pad the seed body to the limit.
    let padded = format!("{SEED_BODY}{}", " ".repeat(MIB - SEED_BODY.len()));
    write(&file, &padded);
    let path = file.to_str().expect("utf-8");
    env.json(&["vault", "create", "--body", path], "");
    write(&file, &format!("{padded} "));
    let err = env.fails(&["vault", "create", "--body", path], "", INVALID);
    let message = err["error"]["message"].as_str().expect("message");
    assert!(message.contains("1 MiB"), "{message}");
}

/// A named pipe as the token file: like stdin, it may never end.
#[cfg(unix)]
#[test]
fn a_token_file_is_read_up_to_its_limit_only() {
    let env = Env::new();
    let vault = env.vault("v", URL);
    let fifo = env.path("token.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let writer_path = fifo.clone();
    std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .expect("open the fifo");
        let chunk = vec![b'a'; MIB];
        for _ in 0..16 {
            if pipe.write_all(&chunk).is_err() {
                return;
            }
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    let path = fifo.to_str().expect("utf-8");
    let args = [
        "credential",
        "add",
        &vault,
        "--url",
        "https://other.example/mcp",
        "--protocol",
        "sse",
        "--token-file",
        path,
    ];
    let (code, err) = run_on_endless_stdin(&env, &args, 0);
    assert_eq!(code, INVALID, "{err}");
    assert!(err.contains("8192 bytes"), "{err}");
}
