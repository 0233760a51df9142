//! Called from inside tokio: the sync client would panic there ("Cannot start a
//! runtime from within a runtime"); the backend moves its calls off the worker.

use super::{account, backend, query, vault, Collect};
use crate::api::id::RawId;
use crate::backend::{Backend, ListScope};

use super::super::PgBackend;

/// Every entry point, and finally dropping the backend (and so its pool).
fn exercise(b: PgBackend) {
    let acme = account("acme");
    b.transact(&mut |tx| tx.put_vault(&acme, &vault(1, 1, "v", true, b"v")))
        .expect("transact");
    let mut r = b.reads().expect("reads");
    assert_eq!(
        r.vault(&acme, RawId(1)).expect("read"),
        Some(b"v".to_vec().into())
    );
    let mut sink = Collect::new(20);
    assert!(!r
        .page(&acme, ListScope::Vaults, &query(), &mut sink)
        .expect("page"));
    assert_eq!(sink.taken, vec![1]);
    drop(r);
    let guard = b.lock_across_processes(b"vcred_1").expect("lock");
    drop(guard);
    b.make_durable().expect("durable");
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_on_a_multi_thread_runtime_worker() {
    exercise(backend("tokio_multi"));
}

#[test]
fn works_inside_a_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async { exercise(backend("tokio_current")) });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_spawn_blocking() {
    tokio::task::spawn_blocking(|| exercise(backend("tokio_blocking")))
        .await
        .expect("the blocking task");
}
