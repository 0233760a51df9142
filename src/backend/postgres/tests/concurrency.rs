//! Transactions (all or nothing, retried on conflict), the schema's creation and
//! version, and the cross-process lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::{account, backend, pg_support, vault};
use crate::api::id::RawId;
use crate::backend::{Backend, MetaKey};
use crate::error::Error;

use super::super::transact::MAX_TRIES;
use super::super::{conninfo, PgBackend};

#[test]
fn a_failed_body_writes_nothing() {
    let b = backend("tx_atomic");
    let acme = account("acme");
    let err = b
        .transact(&mut |tx| {
            tx.put_vault(&acme, &vault(1, 1, "v", true, b"v"))?;
            tx.put_meta(MetaKey::Store, b"s")?;
            Err(Error::conflict("the body says no"))
        })
        .expect_err("the body's error");
    assert_eq!(err.to_string(), "the body says no");
    let mut r = b.reads().expect("reads");
    assert_eq!(r.vault(&acme, RawId(1)).expect("read"), None);
    assert_eq!(r.meta(MetaKey::Store).expect("read"), None);
}

#[test]
fn a_swallowed_statement_error_does_not_commit() {
    let b = backend("tx_swallowed");
    let acme = account("acme");
    let err = b
        .transact(&mut |tx| {
            tx.put_vault(&acme, &vault(1, 1, "v", true, b"v"))?;
            // A NUL byte is not valid in a PostgreSQL text value: the statement fails.
            let _ = tx.put_vault(&acme, &vault(2, 2, "nul\0name", true, b"v"));
            Ok(())
        })
        .expect_err("a failed statement fails the transaction");
    let message = err.to_string();
    assert!(message.contains("rolled back"), "{message}");
    assert!(message.contains("SQLSTATE 22021"), "{message}");
    assert_eq!(
        message.matches("storage engine error").count(),
        1,
        "{message}"
    );
    assert_eq!(
        b.reads()
            .expect("reads")
            .vault(&acme, RawId(1))
            .expect("read"),
        None
    );
}

/// Read-modify-write of one counter from two threads: SERIALIZABLE makes the loser
/// of each conflict run again, so no increment is lost and no call fails.
#[test]
fn conflicting_transactions_are_retried_without_lost_updates() {
    let b = Arc::new(backend("tx_retries"));
    const THREADS: u64 = 2;
    const EACH: u64 = 60;
    let start = Arc::new(Barrier::new(THREADS as usize));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (b, start) = (Arc::clone(&b), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..EACH {
                    b.transact(&mut |tx| {
                        let n = tx.meta(MetaKey::Store)?.map_or(0, |v| {
                            u64::from_be_bytes(v[..].try_into().unwrap_or_default())
                        });
                        tx.put_meta(MetaKey::Store, &(n + 1).to_be_bytes())
                    })
                    .expect("an increment commits, retried if need be");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    let stored = b
        .reads()
        .expect("reads")
        .meta(MetaKey::Store)
        .expect("read");
    assert_eq!(stored, Some((THREADS * EACH).to_be_bytes().to_vec().into()));
}

#[test]
fn processes_opening_at_once_create_the_schema_once() {
    let schema = pg_support::fresh_schema("first_connect");
    let conninfo = pg_support::conninfo();
    let start = Arc::new(Barrier::new(4));
    let openers: Vec<_> = (0..4)
        .map(|_| {
            let (schema, conninfo, start) = (schema.clone(), conninfo.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                PgBackend::connect(&conninfo, &schema, 2).map(|_| ())
            })
        })
        .collect();
    for opener in openers {
        opener
            .join()
            .expect("opener")
            .expect("every opener connects");
    }
}

#[test]
fn a_schema_from_a_newer_version_is_refused() {
    let schema = pg_support::fresh_schema("newer_schema");
    let conninfo = pg_support::conninfo();
    let b = PgBackend::connect(&conninfo, &schema, 2).expect("creates");
    let sql = format!("UPDATE \"{schema}\".schema_version SET version = 99");
    b.pool
        .get()
        .expect("conn")
        .batch(&sql)
        .expect("bump the version");
    drop(b);
    let err = PgBackend::connect(&conninfo, &schema, 2).expect_err("refused");
    let message = err.to_string();
    assert!(
        message.contains("version 99") && message.contains("upgrade vaultstore"),
        "{message}"
    );
}

#[test]
fn bad_schema_names_are_refused_before_connecting() {
    let err =
        PgBackend::connect("host=127.0.0.1 port=1", "Robert'); DROP", 1).expect_err("refused");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
}

/// Holds `key` from `holder` while `waiter` tries to take it: the waiter gets it only
/// once the holder's guard is dropped.
fn assert_excludes(holder: &PgBackend, waiter: Arc<PgBackend>, key: &'static [u8]) {
    let guard = holder
        .lock_across_processes(key)
        .expect("lock")
        .expect("a guard");
    let released = Arc::new(AtomicBool::new(false));
    let waiting = {
        let released = Arc::clone(&released);
        std::thread::spawn(move || {
            let _guard = waiter
                .lock_across_processes(key)
                .expect("lock")
                .expect("a guard");
            released.load(Ordering::SeqCst)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiting.is_finished(), "the waiter got a held lock");
    released.store(true, Ordering::SeqCst);
    drop(guard);
    assert!(
        waiting.join().expect("waiter"),
        "the waiter got the lock before its release"
    );
}

#[test]
fn the_cross_process_lock_excludes_other_threads_and_connections() {
    let b = Arc::new(backend("advisory_lock"));
    // Another thread of this process.
    assert_excludes(&b, Arc::clone(&b), b"vcred_1");
    // Another process: a second backend on the same schema has its own connections.
    let schema_of = |b: &PgBackend| b.schema.clone();
    let other =
        Arc::new(PgBackend::connect(&pg_support::conninfo(), &schema_of(&b), 2).expect("connects"));
    assert_excludes(&b, Arc::clone(&other), b"vcred_2");
    assert_excludes(&other, Arc::clone(&b), b"vcred_2");
    // Other keys are free meanwhile.
    let _one = b.lock_across_processes(b"vcred_3").expect("lock");
    let _two = other.lock_across_processes(b"vcred_4").expect("lock");
}

/// A holder that never lets go (a process stopped mid-refresh) makes a waiter give up
/// after its wait, with an error that says so, and leaves it able to lock later.
#[test]
fn a_stuck_lock_holder_makes_waiters_give_up_after_their_wait() {
    let holder = backend("lock_wait");
    let schema = holder.schema.clone();
    let waiter = PgBackend::connect(&pg_support::conninfo(), &schema, 1)
        .expect("connects")
        .with_lock_wait(Duration::from_millis(300));
    let guard = holder.lock_across_processes(b"vcred_1").expect("lock");
    let started = std::time::Instant::now();
    let err = match waiter.lock_across_processes(b"vcred_1") {
        Ok(_) => panic!("the waiter got a held lock"),
        Err(e) => e,
    };
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(10),
        "waited {waited:?}"
    );
    let message = err.to_string();
    assert!(
        matches!(err, Error::Storage(_)) && message.contains("55P03") && message.contains("stuck"),
        "{message}"
    );
    // Another key is free, and this one once the holder lets go, on the same pool.
    drop(waiter.lock_across_processes(b"vcred_2").expect("other key"));
    drop(guard);
    drop(
        waiter
            .lock_across_processes(b"vcred_1")
            .expect("after the release"),
    );
}

/// A transaction that loses every try (a trigger fails each insert with SQLSTATE
/// 40001, as a lost serialization conflict does) runs its body `MAX_TRIES` times, then
/// gives up with an error that says so and names the last failure, having written
/// nothing.
#[test]
fn a_transaction_that_always_loses_gives_up_after_its_tries() {
    let b = backend("always_loses");
    let schema = conninfo::quoted(&b.schema);
    b.pool
        .get()
        .expect("a connection")
        .batch(&format!(
            "CREATE FUNCTION {schema}.lose() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40001'; END $$; \
             CREATE TRIGGER lose BEFORE INSERT ON {schema}.vaults \
             FOR EACH ROW EXECUTE FUNCTION {schema}.lose();"
        ))
        .expect("the trigger");
    let acme = account("acme");
    let mut tries = 0;
    let err = b
        .transact(&mut |tx| {
            tries += 1;
            tx.put_vault(&acme, &vault(1, 1, "v", true, b"v"))
        })
        .expect_err("never commits");
    assert_eq!(tries, MAX_TRIES);
    let message = err.to_string();
    assert!(
        matches!(err, Error::Storage(_))
            && message.contains(&format!("{MAX_TRIES} times"))
            && message.contains("40001"),
        "{message}"
    );
    let stored = b.reads().expect("reads").vault(&acme, RawId(1));
    assert!(stored.expect("read").is_none());
}

/// A lock holder can still write: locks come from a pool of their own, so holders
/// never take every connection their transactions need.
#[test]
fn lock_holders_do_not_starve_transactions() {
    let b = Arc::new(
        PgBackend::connect(
            &pg_support::conninfo(),
            &pg_support::fresh_schema("lock_pool"),
            1,
        )
        .expect("connects"),
    );
    let acme = account("acme");
    let _guard = b.lock_across_processes(b"vcred_1").expect("lock");
    b.transact(&mut |tx| tx.put_vault(&acme, &vault(1, 1, "v", true, b"v")))
        .expect("writes while holding the lock");
}

#[test]
fn the_schema_has_its_paging_and_search_indexes() {
    let b = backend("indexes");
    let mut conn = b.pool.get().expect("conn");
    let rows = conn
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 ORDER BY 1",
            &[(&b.schema, postgres::types::Type::TEXT)],
        )
        .expect("indexes");
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for expected in [
        "credentials_active",
        "credentials_id",
        "vaults_active",
        "vaults_id",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let trgm = conn
        .query(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'",
            &[],
        )
        .expect("extensions");
    if !trgm.is_empty() {
        for expected in ["credentials_name", "vaults_name"] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
    }
}
