//! Many processes, one PostgreSQL store: writes seen across processes at once,
//! sessions resolving across them, an OAuth refresh spent once across 4 processes × 8
//! threads against an endpoint that revokes the whole token family on reuse, and a key
//! rotation that a process still on the old key cannot write through.
//!
//! A test binary of its own (`harness = false`): the refresh test runs this same
//! binary as its worker processes.

mod common;
mod oauth_support;

use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use common::{Backend, Place};
use oauth_support::TokenServer;
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{
    CreateCredential, CreateVault, Error, HttpRefresher, MasterKey, OAuthRefresh, OAuthTokens,
    Protocol, VaultStore,
};

/// Set in a worker process: `conninfo`, schema and vault id, tab-separated.
const WORKER: &str = "VAULTSTORE_FLEET_WORKER";
const URL: &str = "https://mcp.example.com/mcp";
const PROCESSES: usize = 4;
const THREADS: usize = 8;
const LOOKUPS: usize = 4;

fn main() {
    if let Ok(spec) = std::env::var(WORKER) {
        worker(&spec);
        return;
    }
    let tests: [(&str, fn()); 3] = [
        (
            "writes_and_sessions_are_shared_across_processes",
            writes_and_sessions_are_shared_across_processes,
        ),
        (
            "a_refresh_is_single_flight_across_processes",
            a_refresh_is_single_flight_across_processes,
        ),
        (
            "a_process_on_a_rotated_away_key_is_refused_then_reopens",
            a_process_on_a_rotated_away_key_is_refused_then_reopens,
        ),
    ];
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        println!("test {name} ...");
        test();
        println!("test {name} ... ok");
    }
}

fn schema_place() -> (Place, String) {
    let place = Backend::Postgres.place();
    let Place::Schema(schema) = &place else {
        unreachable!("a PostgreSQL place is a schema")
    };
    let schema = schema.clone();
    (place, schema)
}

fn open_schema(schema: &str, key: [u8; 32]) -> vaultstore::Result<VaultStore> {
    VaultStore::builder_postgres(&common::pg_conninfo())
        .schema(schema)
        .key(MasterKey::from_bytes(key))
        .token_refresher(HttpRefresher::with_timeouts(
            Duration::from_secs(5),
            Duration::from_secs(5),
            false,
        ))
        .open()
}

fn writes_and_sessions_are_shared_across_processes() {
    let (_place, schema) = schema_place();
    // Two opens: two connection pools and two handles, as two processes have.
    let a = open_schema(&schema, common::KEY).expect("open a");
    let b = open_schema(&schema, common::KEY).expect("open b");
    let vault = common::vault_with(&a, "shared", URL, "token-1");
    assert_eq!(
        b.get_vault(&vault.id).expect("b sees it").display_name,
        "shared"
    );
    let listed = b.list_vaults(&Default::default()).expect("list");
    assert_eq!(common::ids(&listed.data), vec![vault.id.clone()]);
    assert_eq!(
        common::resolve(&b, &[&vault.id], URL).as_deref(),
        Some("token-1")
    );
    let session_a = a.session(&[&vault.id]).expect("session");
    b.archive_vault(&vault.id).expect("b archives");
    assert!(
        session_a.bearer_token(URL).expect("lookup").is_none(),
        "a's session sees b's archive at its next lookup"
    );
    assert!(a.verify().expect("verify").is_ok());
}

fn a_refresh_is_single_flight_across_processes() {
    let server = TokenServer::start("refresh-0");
    // Every answer expires at once (inside the 60 s margin): every lookup refreshes,
    // so every lookup spends the refresh token the one before it stored.
    server.set_expires_in(Some(1));
    let (_place, schema) = schema_place();
    let store = open_schema(&schema, common::KEY).expect("open");
    let mut refresh = OAuthRefresh::new(
        "fleet",
        SecretString::from("refresh-0".to_owned()),
        &server.url,
    );
    refresh.scope = Some("read".into());
    let credential = CreateCredential::mcp_oauth(
        URL,
        Protocol::StreamableHttp,
        OAuthTokens::new(SecretString::from("access-0".to_owned()))
            .expires_at(Utc::now() + chrono::Duration::seconds(1))
            .refresh(refresh),
    );
    let vault = store
        .create_vault(CreateVault::new("fleet", vec![credential]))
        .expect("create")
        .id;
    drop(store);

    let spec = format!("{}\t{schema}\t{vault}", common::pg_conninfo());
    // All started before any is waited for.
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(std::env::current_exe().expect("this binary"))
                .env(WORKER, &spec)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start a worker")
        })
        .collect();
    let mut tokens = Vec::new();
    for child in children {
        let out = child.wait_with_output().expect("worker ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "a worker failed: {stderr}");
        tokens.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_owned),
        );
    }
    // A refresh token spent twice would have revoked the family: every later lookup
    // would have failed its worker. One request per lookup: none wasted, none shared.
    let lookups = PROCESSES * THREADS * LOOKUPS;
    assert_eq!(tokens.len(), lookups, "every lookup answered");
    assert_eq!(server.request_count(), lookups, "one refresh per lookup");
    let mut distinct = tokens.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        tokens.len(),
        "each lookup got its own fresh token"
    );
}

/// A worker process: `THREADS` threads × `LOOKUPS` lookups, each printing the token it
/// got. Any error fails the process.
fn worker(spec: &str) {
    let mut parts = spec.split('\t');
    let (Some(conninfo), Some(schema), Some(vault)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("bad worker spec");
    };
    std::env::set_var("VAULTSTORE_TEST_PG", conninfo);
    let store = open_schema(schema, common::KEY).expect("worker open");
    let session = store.session(&[vault]).expect("session");
    let out = std::sync::Mutex::new(std::io::stdout());
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..LOOKUPS {
                    let token = session.bearer_token(URL).expect("lookup").expect("a token");
                    use std::io::Write;
                    let mut out = out.lock().expect("stdout");
                    writeln!(out, "{}", token.expose_secret()).expect("print");
                }
            });
        }
    });
}

fn a_process_on_a_rotated_away_key_is_refused_then_reopens() {
    let (_place, schema) = schema_place();
    let a = open_schema(&schema, common::KEY).expect("open a");
    let b = open_schema(&schema, common::KEY).expect("open b");
    let vault = common::vault_with(&a, "v", URL, "token-1");
    let new_key = [9u8; 32];
    a.rotate_key(MasterKey::from_bytes(new_key))
        .expect("a rotates");

    let rotated = |r: vaultstore::Result<()>| {
        assert!(matches!(r, Err(Error::KeyRotated { key_id: 2 })), "{r:?}")
    };
    rotated(b.get_vault(&vault.id).map(drop));
    rotated(common::resolve_result(&b, &vault.id, URL));
    // A write must not land under the old key: nobody could read it after.
    rotated(
        b.create_vault(CreateVault::new("late", vec![common::credential(URL, "t")]))
            .map(drop),
    );
    assert!(matches!(
        open_schema(&schema, common::KEY),
        Err(Error::WrongKey)
    ));
    let b = open_schema(&schema, new_key).expect("b reopens with the new key");
    assert_eq!(
        common::resolve(&b, &[&vault.id], URL).as_deref(),
        Some("token-1")
    );
    common::vault(&b, "after");
    let report = a.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.vaults, 2);
}
