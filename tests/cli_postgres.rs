//! Guards `--store postgresql://…`: init with a key file, the vault, credential,
//! resolve, verify and rotate-key commands on a PostgreSQL store, the database password
//! from a file, and that neither the password nor a token is ever printed.
#![cfg(all(feature = "cli", feature = "postgres"))]

#[path = "pg_support/mod.rs"]
mod pg_support;

use assert_cmd::Command;
use serde_json::Value;

/// Accepted and ignored by the tests' server (trust authentication): here only to
/// prove it is never printed.
const PASSWORD: &str = "pw_NEVER_PRINTED_7f3a";
const TOKEN: &str = "tok_SUPERSECRET_pg_5e1b";

/// The tests' server as a `postgresql://` URL with a password in it.
fn url() -> String {
    let conninfo = pg_support::conninfo();
    if conninfo.starts_with("postgres") {
        return conninfo;
    }
    let field = |name: &str| {
        conninfo
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_owned()
    };
    format!(
        "postgresql://{}:{PASSWORD}@{}:{}/{}",
        field("user"),
        field("host"),
        field("port"),
        field("dbname")
    )
}

struct Env {
    dir: tempfile::TempDir,
    url: String,
    schema: String,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
            url: url(),
            schema: pg_support::fresh_schema("cli"),
        }
    }

    fn key(&self) -> std::path::PathBuf {
        self.dir.path().join("pg.key")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_with_key(&self.key(), args)
    }

    fn cmd_with_key(&self, key: &std::path::Path, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("vaultstore").expect("the binary");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("VAULTSTORE_PATH", &self.url)
            .env("VAULTSTORE_PG_SCHEMA", &self.schema)
            .arg("--key-file")
            .arg(key)
            .args(args);
        cmd
    }

    /// Runs a command that must succeed; its JSON answer.
    fn json(&self, args: &[&str], stdin: &str) -> Value {
        let out = self
            .cmd(args)
            .arg("--json")
            .write_stdin(stdin)
            .output()
            .expect("runs");
        never_printed(&out);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }
}

fn never_printed(out: &std::process::Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(
            !text.contains(PASSWORD),
            "the database password was printed: {text}"
        );
    }
}

#[test]
fn a_postgres_store_is_made_used_verified_and_rotated_from_the_cli() {
    let env = Env::new();
    let made = env.json(&["init"], "");
    assert_eq!(made["store"], "postgresql");
    let body = format!(
        r#"{{"display_name": "pg", "credentials": [{{"mcp_server_url": "https://example.com/mcp",
            "protocol": "sse", "type": "static_bearer", "access_token": "{TOKEN}"}}]}}"#
    );
    let vault = env.json(&["vault", "create"], &body);
    let id = vault["id"].as_str().expect("an id").to_owned();
    let listed = env.json(&["vault", "list"], "");
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert!(!listed.to_string().contains(TOKEN));

    let resolved = env.json(
        &[
            "resolve",
            "--vault",
            &id,
            "--url",
            "https://example.com/mcp",
            "--reveal",
        ],
        "",
    );
    assert_eq!(resolved["access_token"], TOKEN, "{resolved}");
    let report = env.json(&["verify"], "");
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(0),
        "{report}"
    );

    let new_key = env.dir.path().join("new.key");
    let new_key = new_key.to_str().expect("utf-8");
    env.json(&["rotate-key", "--new-key-file", new_key], "");
    // The old key no longer opens the store; the new one does.
    let old = env.cmd(&["vault", "list"]).output().expect("runs");
    never_printed(&old);
    assert_eq!(
        old.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&old.stderr)
    );
    let mut with_new = env.cmd(&["vault", "get", &id]);
    let out = with_new
        .env("VAULTSTORE_KEY_FILE", new_key)
        .output()
        .expect("runs");
    // --key-file (the old one) on the command line wins over the environment.
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn a_second_init_and_directory_only_commands_are_refused_clearly() {
    let env = Env::new();
    env.json(&["init"], "");
    std::fs::remove_file(env.key()).expect("remove the key");
    let again = env.cmd(&["init"]).output().expect("runs");
    never_printed(&again);
    assert_eq!(
        again.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        !env.key().exists(),
        "a refused init leaves no key file behind"
    );
    for command in [&["compact"][..], &["backup", "/tmp/nowhere-vaultstore"][..]] {
        let out = env.cmd(command).output().expect("runs");
        never_printed(&out);
        assert_eq!(out.status.code(), Some(2), "{command:?}");
    }
}

#[test]
fn a_server_that_is_down_is_named_without_the_password() {
    let env = Env {
        url: format!("postgresql://vaultstore:{PASSWORD}@127.0.0.1:1/postgres"),
        ..Env::new()
    };
    let out = env.cmd(&["init"]).output().expect("runs");
    never_printed(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert!(!env.key().exists());
}

#[test]
fn the_password_can_come_from_a_file() {
    let env = Env::new();
    let file = env.dir.path().join("pgpass");
    std::fs::write(&file, format!("{PASSWORD}\n")).expect("write");
    let url = env.url.replace(&format!(":{PASSWORD}@"), "@");
    let out = env
        .cmd(&["init", "--json"])
        .env("VAULTSTORE_PATH", &url)
        .env("VAULTSTORE_PG_PASSWORD_FILE", &file)
        .output()
        .expect("runs");
    never_printed(&out);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two `serve` processes on one PostgreSQL store: a vault made through one is read
/// through the other at once. API keys live in VAULTSTORE_SERVER_DIR (there is no
/// store directory).
#[cfg(all(feature = "server", unix))]
#[test]
fn two_servers_share_one_postgres_store() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let env = Env::new();
    env.json(&["init"], "");
    let server_dir = env.dir.path().join("server");
    let with_server_dir = |mut cmd: Command| {
        cmd.env("VAULTSTORE_SERVER_DIR", &server_dir);
        cmd
    };
    let made = with_server_dir(env.cmd(&["api-key", "create", "--role", "admin", "--json"]))
        .output()
        .expect("runs");
    never_printed(&made);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made: Value = serde_json::from_slice(&made.stdout).expect("JSON");
    let key = made["key"].as_str().expect("a key").to_owned();

    let serve = || {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("vaultstore"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", env.dir.path())
            .env("VAULTSTORE_PATH", &env.url)
            .env("VAULTSTORE_PG_SCHEMA", &env.schema)
            .env("VAULTSTORE_SERVER_DIR", &server_dir)
            .arg("--key-file")
            .arg(env.key())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("serve starts");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let url = loop {
            let line = lines.next().expect("serve prints").expect("a line");
            assert!(!line.contains(PASSWORD), "{line}");
            if let Some(at) = line.find("http://") {
                break line[at..].split(' ').next().expect("url").to_owned();
            }
        };
        (child, url, lines)
    };
    let (mut first, first_url, _first_lines) = serve();
    let (mut second, second_url, _second_lines) = serve();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = format!(
        r#"{{"display_name": "shared", "credentials": [{{"mcp_server_url":
            "https://example.com/mcp", "protocol": "sse", "type": "static_bearer",
            "access_token": "{TOKEN}"}}]}}"#
    );
    let mut created = agent
        .post(&format!("{first_url}/api/v1/cloud/vaults"))
        .header("Authorization", &format!("Bearer {key}"))
        .header("Content-Type", "application/json")
        .send(body.as_bytes())
        .expect("the first server answers");
    assert_eq!(created.status().as_u16(), 201);
    let created: Value =
        serde_json::from_str(&created.body_mut().read_to_string().expect("body")).expect("JSON");
    let id = created["id"].as_str().expect("an id");
    let mut got = agent
        .get(&format!("{second_url}/v1/vaults/{id}"))
        .header("x-api-key", &key)
        .call()
        .expect("the second server answers");
    assert_eq!(got.status().as_u16(), 200);
    let text = got.body_mut().read_to_string().expect("body");
    assert!(text.contains("shared") && !text.contains(TOKEN), "{text}");
    for child in [&mut first, &mut second] {
        let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        assert!(child.wait().expect("exits").success());
    }
}
