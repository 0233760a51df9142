//! Setup shared by the robustness tests: a fixed key, vaults with fake tokens, raw
//! access to the store's sled trees, and child processes re-running the test binary.
// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};

use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{CreateCredential, CreateVault, Error, MasterKey, Protocol, Vault, VaultStore};

pub const KEY: [u8; 32] = [7; 32];

pub fn key() -> MasterKey {
    MasterKey::from_bytes(KEY)
}

pub fn open(dir: &Path) -> VaultStore {
    VaultStore::open(dir, key()).expect("open the store")
}

pub fn credential(url: &str, token: &str) -> CreateCredential {
    CreateCredential::static_bearer(url, Protocol::Sse, SecretString::from(token.to_owned()))
}

/// A vault holding one credential per `(url, token)`.
pub fn create_vault(store: &VaultStore, name: &str, creds: &[(&str, &str)]) -> Vault {
    let creds = creds.iter().map(|(u, t)| credential(u, t)).collect();
    store
        .create_vault(CreateVault::new(name, creds))
        .expect("create vault")
}

/// The id of `vault`'s credential for `url`.
pub fn credential_id(vault: &Vault, url: &str) -> String {
    let creds = vault
        .credentials
        .as_ref()
        .expect("create answers credentials");
    let cred = creds.iter().find(|c| c.mcp_server_url == url);
    cred.expect("credential for url").id.clone()
}

/// What a session over `vault_id` sends to `url`.
pub fn bearer(store: &VaultStore, vault_id: &str, url: &str) -> vaultstore::Result<Option<String>> {
    let session = store.session(&[vault_id])?;
    let token = session.bearer_token(url)?;
    Ok(token.map(|t| t.expose_secret().to_owned()))
}

pub fn problems(store: &VaultStore) -> Vec<String> {
    store.verify().expect("verify runs").problems
}

/// Fails unless `err` is `Corrupted` and names `record`; checks no secret leaks into it.
pub fn assert_corrupted_naming(err: &Error, record: &str, secrets: &[&str]) {
    assert!(matches!(err, Error::Corrupted { .. }), "{err:?}");
    assert!(
        err.to_string().contains(record),
        "{err} should name {record}"
    );
    assert_no_secret(&format!("{err} {err:?}"), secrets);
}

pub fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "a secret leaked into: {text}");
    }
}

/// The 16 id bytes of `vault_…` / `vcred_…`.
pub fn id_bytes(id: &str) -> [u8; 16] {
    let hex = id.split_once('_').expect("prefixed id").1;
    u128::from_str_radix(hex, 16).expect("hex id").to_be_bytes()
}

fn account_prefix(account: &str) -> Vec<u8> {
    [&[account.len() as u8], account.as_bytes()].concat()
}

/// Keys as `src/backend/layout.rs` builds them (repeated here on purpose: a layout change
/// should be seen by these tests).
pub fn vault_key(account: &str, vault_id: &str) -> Vec<u8> {
    [account_prefix(account), id_bytes(vault_id).to_vec()].concat()
}

pub fn credential_key(account: &str, vault_id: &str, credential_id: &str) -> Vec<u8> {
    [
        vault_key(account, vault_id),
        id_bytes(credential_id).to_vec(),
    ]
    .concat()
}

pub fn token_key(account: &str, vault_id: &str, url: &str) -> Vec<u8> {
    [vault_key(account, vault_id), url.as_bytes().to_vec()].concat()
}

/// Runs `edit` on the store's sled database, opened directly. The store must be closed.
pub fn edit_raw(dir: &Path, edit: impl FnOnce(&sled::Db)) {
    // sled releases its file lock a moment after the last handle of an earlier open in
    // this process is dropped (sled issues 1234, 1289): wait for it, as the store does.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let db = loop {
        match sled::open(dir.join("data")) {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => break other.expect("raw sled open"),
        }
    };
    edit(&db);
    db.flush().expect("raw sled flush");
}

pub fn tree(db: &sled::Db, name: &str) -> sled::Tree {
    db.open_tree(name).expect("open tree")
}

pub fn get(tree: &sled::Tree, key: &[u8]) -> Vec<u8> {
    tree.get(key)
        .expect("raw get")
        .expect("key present")
        .to_vec()
}

pub fn put(tree: &sled::Tree, key: &[u8], value: Vec<u8>) {
    tree.insert(key, value).expect("raw insert");
}

/// `haystack` with the first `from` replaced by `to`.
pub fn replace_first(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = haystack
        .windows(from.len())
        .position(|w| w == from)
        .expect("bytes to replace are present");
    [&haystack[..at], to, &haystack[at + from.len()..]].concat()
}

/// Copies a closed store directory (a closed sled directory is consistent as files).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The environment variable that puts a re-run test binary into its child role.
pub const CHILD_ENV: &str = "VAULTSTORE_TEST_CHILD";

/// Re-runs test `test_name` of this test binary as a child with `CHILD_ENV=role` and
/// `env`; its protocol lines (see `child_lines`) come over a pipe.
pub fn spawn_child(test_name: &str, role: &str, env: &[(&str, String)]) -> Child {
    let exe = std::env::current_exe().expect("test binary path");
    Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, role)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child test process")
}

/// The child's role, if this process is one.
pub fn child_role() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// A line of the child protocol; the test harness's own lines are not.
pub fn say(line: &str) {
    println!("@@ {line}");
}

/// The child's protocol lines, complete lines only (a kill can cut the last one).
pub fn child_lines(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            // The harness may have begun the line ("test name ... ").
            let body = line
                .strip_suffix('\n')
                .and_then(|l| Some(&l[l.find("@@ ")? + 3..]));
            if let Some(body) = body {
                if send.send(body.to_owned()).is_err() {
                    return;
                }
            }
            line.clear();
        }
    });
    receive
}
