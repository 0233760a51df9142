//! PostgreSQL faults at the store's level: the server killed (immediate stop, no
//! checkpoint) while writers create vaults, then restarted; the server down at open;
//! and calls from inside a tokio runtime, where the sync client would panic if it ran
//! on the worker thread.
#![cfg(feature = "postgres")]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::pg_support::PgServer;
use vaultstore::{CreateVault, Error, ListParams, MasterKey, VaultStore};

fn open(conninfo: &str, schema: &str) -> vaultstore::Result<VaultStore> {
    VaultStore::builder_postgres(conninfo)
        .schema(schema)
        .key(MasterKey::from_bytes(common::KEY))
        .open()
}

fn three_credentials(n: usize) -> CreateVault {
    let credentials = (0..3)
        .map(|i| common::credential(&format!("https://s{i}.example/mcp"), &format!("t{n}-{i}")))
        .collect();
    CreateVault::new(format!("v{n}"), credentials)
}

#[test]
fn a_killed_server_loses_nothing_acknowledged_and_leaves_no_half_created_vault() {
    let server = PgServer::start();
    let conninfo = server.conninfo();
    let store = open(&conninfo, "faults").expect("open");
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (store, acked, errors, stop) =
                (store.clone(), acked.clone(), errors.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = w * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    match store.create_vault(three_credentials(n)) {
                        Ok(vault) => acked.lock().expect("acked").push(vault.id),
                        Err(e) => {
                            errors.lock().expect("errors").push(e.to_string());
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    server.kill();
    let acked_before = acked.lock().expect("acked").len();
    std::thread::sleep(Duration::from_millis(300));
    server.start_again();
    // The same handle recovers on fresh connections.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().expect("acked").len() < acked_before + 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "writes did not resume"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().expect("writer");
    }

    let errors = errors.lock().expect("errors").clone();
    assert!(
        !errors.is_empty(),
        "the kill was not felt: the test proves nothing"
    );
    let port = format!("{}", server.port());
    for e in &errors {
        assert!(
            e.contains("PostgreSQL") || e.contains(&port),
            "unclear error: {e}"
        );
    }
    drop(store);
    let store = open(&conninfo, "faults").expect("reopen");
    let acked = acked.lock().expect("acked").clone();
    for id in &acked {
        let page = store
            .list_credentials(id, &ListParams::default())
            .expect("acknowledged");
        assert_eq!(page.data.len(), 3, "vault {id} lost credentials");
    }
    // No vault in the store is missing a credential: create is all or nothing.
    let mut params = ListParams {
        limit: Some(100),
        ..ListParams::default()
    };
    let mut seen = 0;
    loop {
        let page = store.list_vaults(&params).expect("list");
        for vault in &page.data {
            let creds = store
                .list_credentials(&vault.id, &ListParams::default())
                .expect("creds");
            assert_eq!(creds.data.len(), 3, "half-created vault {}", vault.id);
        }
        seen += page.data.len();
        if !page.has_more {
            break;
        }
        params.after_id = page.last_id;
    }
    assert!(seen >= acked.len());
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    eprintln!(
        "acknowledged {} vaults, {} writes failed during the outage, {} in the store",
        acked.len(),
        errors.len(),
        seen
    );
}

#[test]
fn a_server_that_is_down_at_open_is_a_clear_error() {
    let server = PgServer::start();
    let conninfo = format!("{} password=pw_never_shown", server.conninfo());
    server.stop();
    let err = open(&conninfo, "down").expect_err("the server is down");
    let message = err.to_string();
    assert!(matches!(err, Error::Storage(_)), "{err:?}");
    assert!(
        message.contains(&format!("127.0.0.1:{}", server.port())),
        "{message}"
    );
    assert!(!message.contains("pw_never_shown") && !format!("{err:?}").contains("pw_never"));
    server.start_again();
    open(&conninfo, "down").expect("opens once the server is back");
}

/// An axum handler or an rmcp client calls the store from a tokio worker thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_from_a_multi_thread_runtime_work() {
    let (_place, store) = common::Backend::Postgres.store();
    let vault = common::vault(&store, "async");
    assert_eq!(
        store.get_vault(&vault.id).expect("get").display_name,
        "async"
    );
    assert!(common::resolve(&store, &[&vault.id], "https://async.example.com/mcp").is_some());
    drop(store);
}

#[tokio::test(flavor = "current_thread")]
async fn calls_from_a_current_thread_runtime_work() {
    let (_place, store) = common::Backend::Postgres.store();
    let vault = common::vault(&store, "async");
    store.archive_vault(&vault.id).expect("archive");
    drop(store);
}
