//! Guards `vaultstore serve` and `vaultstore api-key` as programs: keys printed once and
//! listed without the key, a non-loopback address refused without TLS, a server on a
//! free port that answers, honours a key revoked by another process while it runs, and
//! exits 0 on SIGTERM.
#![cfg(all(feature = "server", unix))]

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use cli_support::{Env, USAGE};

fn get(url: &str, key: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .get(url)
        .header("x-api-key", key)
        .call()
        .expect("the server answers")
        .status()
        .as_u16()
}

#[test]
fn api_keys_are_shown_once_and_listed_without_the_key() {
    let env = Env::new();
    let made = env.json(
        &["api-key", "create", "--role", "runtime", "--name", "a"],
        "",
    );
    let key = made["key"].as_str().expect("key");
    assert!(key.starts_with("vsk_"));
    assert_eq!(made["role"], "runtime");
    assert_eq!(made["account"], "default");
    let list = env.json(&["api-key", "list"], "");
    assert_eq!(list[0]["id"], made["id"]);
    assert!(!list.to_string().contains(key));
    let file = std::fs::read_to_string(env.store.join("api-keys.json")).expect("file");
    assert!(!file.contains(key));
    let revoked = env.json(&["api-key", "revoke", made["id"].as_str().expect("id")], "");
    assert!(revoked["revoked_at"].is_string());
    env.fails(&["api-key", "revoke", "key_nope"], "", 4);
    env.fails(&["--account", "bad name", "api-key", "create"], "", 3);
}

#[test]
fn serve_refuses_plain_http_off_loopback() {
    let env = Env::new();
    let err = env.fails(&["serve", "--listen", "0.0.0.0:0"], "", USAGE);
    assert!(err["error"]["message"]
        .as_str()
        .expect("message")
        .contains("--tls-cert"));
}

#[test]
fn serve_answers_sees_revocations_and_stops_on_sigterm() {
    let env = Env::new();
    let made = env.json(&["api-key", "create", "--role", "admin"], "");
    let key = made["key"].as_str().expect("key").to_owned();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("vaultstore"))
        .env_remove("VAULTSTORE_PATH")
        .env_remove("VAULTSTORE_KEY_FILE")
        .env("XDG_CONFIG_HOME", env.config_dir())
        .arg("--store")
        .arg(&env.store)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines.next().expect("a line").expect("text");
        if let Some(at) = line.find("http://") {
            break line[at..].split(' ').next().expect("url").to_owned();
        }
    };
    assert_eq!(get(&format!("{url}/v1/vaults"), &key), 200);
    // Another process revokes the key while the server holds the store.
    env.json(&["api-key", "revoke", made["id"].as_str().expect("id")], "");
    assert_eq!(get(&format!("{url}/v1/vaults"), &key), 401);
    // The store is the server's: other commands report it locked.
    env.fails(&["vault", "list"], "", 6);

    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let status = child.wait().expect("exits");
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_and_api_key_commands_have_examples() {
    for command in [
        &["serve"][..],
        &["api-key", "create"],
        &["api-key", "list"],
        &["api-key", "revoke"],
    ] {
        let out = cli_support::bare()
            .args(command)
            .arg("--help")
            .output()
            .expect("runs");
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Example"),
            "{command:?}"
        );
    }
}

#[test]
fn serve_listens_on_a_private_unix_socket() {
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixStream;

    let env = Env::new();
    let made = env.json(&["api-key", "create", "--role", "admin"], "");
    let key = made["key"].as_str().expect("key").to_owned();
    let socket = env.dir.path().join("serve.sock");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("vaultstore"))
        .env_remove("VAULTSTORE_PATH")
        .env_remove("VAULTSTORE_KEY_FILE")
        .env("XDG_CONFIG_HOME", env.config_dir())
        .arg("--store")
        .arg(&env.store)
        .arg("serve")
        .arg("--listen")
        .arg(format!("unix:{}", socket.display()))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let line = lines.next().expect("a line").expect("text");
    assert!(line.contains("unix:"), "{line}");
    let mode = std::fs::metadata(&socket)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let mut stream = UnixStream::connect(&socket).expect("connects");
    write!(
        stream,
        "GET /v1/vaults HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\nConnection: close\r\n\r\n"
    )
    .expect("writes");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    assert!(child.wait().expect("exits").success());
    assert!(!socket.exists(), "the socket file is removed on shutdown");
}
