//! Shared by the tests/cli_*.rs files: a store made with `vaultstore init` in a temp
//! directory, and commands pointed at it.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

#[cfg(unix)]
mod serve;

/// A token no output may ever contain.
pub const TOKEN: &str = "tok_SUPERSECRET_d41d8cd98f00b204";
pub const SEED_BODY: &str = r#"{
    "display_name": "my-mcp-vault",
    "credentials": [
      {
        "mcp_server_url": "https://example.com/mcp",
        "protocol": "sse",
        "type": "static_bearer",
        "access_token": "your-access-token"
      }
    ]
  }"#;

pub const USAGE: i32 = 2;
pub const INVALID: i32 = 3;
pub const NOT_FOUND: i32 = 4;
pub const CONFLICT: i32 = 5;
pub const LOCKED: i32 = 6;
pub const WRONG_KEY: i32 = 7;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
    pub key: PathBuf,
}

impl Env {
    /// A fresh store made by `vaultstore init` with a key file (in the config directory).
    pub fn new() -> Env {
        let mut env = Env::empty();
        let answer = env.json(&["init"], "");
        env.key = PathBuf::from(answer["key_file"].as_str().expect("a key file"));
        env
    }

    /// Paths for a store, but no store yet; `key` is where earlier versions put the
    /// key file (beside the store).
    pub fn empty() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dir.path().join("store");
        let key = dir.path().join("store.key");
        Env { dir, store, key }
    }

    /// The program, pointed at this store, with no VAULTSTORE_* from the outside and
    /// stdin not a terminal.
    pub fn cmd(&self) -> Command {
        let mut cmd = bare();
        cmd.env("XDG_CONFIG_HOME", self.config_dir())
            .arg("--store")
            .arg(&self.store);
        cmd
    }

    /// The platform config directory the program sees (new key files go there).
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Runs `args` with `--json` and `stdin`; returns the exit code, stdout and stderr.
    pub fn run(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let out = self
            .cmd()
            .arg("--json")
            .args(args)
            .write_stdin(stdin)
            .output();
        split(out.expect("runs"))
    }

    /// Runs `args` with `--json`, expects success, parses stdout.
    pub fn json(&self, args: &[&str], stdin: &str) -> Value {
        let (code, out, err) = self.run(args, stdin);
        assert_eq!(code, 0, "{args:?} failed: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Runs `args` with `--json`, expects exit `code`, returns the error envelope.
    pub fn fails(&self, args: &[&str], stdin: &str, code: i32) -> Value {
        let (got, out, err) = self.run(args, stdin);
        assert_eq!(got, code, "{args:?}: stdout {out} stderr {err}");
        serde_json::from_str(&err).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {err}"))
    }

    /// Creates a vault with one credential for `url`; returns its id.
    pub fn vault(&self, name: &str, url: &str) -> String {
        let args = [
            "vault",
            "create",
            "--name",
            name,
            "--credential",
            url,
            "--protocol",
            "sse",
            "--token-stdin",
        ];
        self.json(&args, TOKEN)["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// `credential add VAULT --url URL --protocol PROTOCOL`, token source still to add.
    pub fn add_credential(&self, vault: &str, url: &str, protocol: &str) -> Command {
        let mut cmd = self.cmd();
        cmd.args([
            "credential",
            "add",
            vault,
            "--url",
            url,
            "--protocol",
            protocol,
        ]);
        cmd
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The program with a clean environment: no VAULTSTORE_* variables. assert_cmd always
/// gives it a pipe for stdin, never a terminal.
pub fn bare() -> Command {
    let mut cmd = Command::cargo_bin("vaultstore").expect("the binary (--features cli)");
    cmd.env_remove("VAULTSTORE_PATH")
        .env_remove("VAULTSTORE_KEY_FILE")
        .env_remove("VAULTSTORE_SERVER")
        .env_remove("VAULTSTORE_API_KEY")
        .env_remove("VAULTSTORE_API_KEY_FILE")
        .env_remove("VAULTSTORE_SERVER_CA")
        .env_remove("XDG_CONFIG_HOME");
    cmd
}

pub fn split(out: Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// How many items a list answer holds.
pub fn count(page: &Value) -> usize {
    page["data"].as_array().expect("a list answer").len()
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write file");
}
