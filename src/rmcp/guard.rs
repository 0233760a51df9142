//! rmcp's refresh guard: this adapter's async mutex, then the store's refresh lock of
//! the credential, both held until rmcp drops the guard after its save.

use std::sync::{Arc, PoisonError};

use tokio::sync::OwnedMutexGuard;

use super::{blocking, read, Shared};
use crate::error::Result;
use crate::store::refresh::HeldRefresh;

/// What rmcp holds from before its load to after its save.
pub(super) struct Guard {
    shared: Arc<Shared>,
    // Dropped in this order: the store's lock, then the mutex (fields drop in order,
    // after `Drop::drop` has emptied the shared slot).
    held: Option<Arc<HeldRefresh>>,
    _mutex: OwnedMutexGuard<()>,
}

pub(super) async fn acquire(shared: &Arc<Shared>) -> Result<Guard> {
    // Tasks of this adapter queue here without blocking a worker thread.
    let mutex = shared.refresh.clone().lock_owned().await;
    let job = shared.clone();
    // The store's lock may be held by a session's refresh (an HTTP request): wait for
    // it on the blocking pool. If this future is dropped meanwhile, the task's result,
    // the held lock, is dropped with it and so released.
    let held = blocking(move || {
        read::find(&job)?
            .map(|(vault, id)| job.store.hold_refresh(vault, id).map(Arc::new))
            .transpose()
    })
    .await?;
    *shared.held.lock().unwrap_or_else(PoisonError::into_inner) = held.clone();
    Ok(Guard {
        shared: shared.clone(),
        held,
        _mutex: mutex,
    })
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // A save still running on the blocking pool keeps its own `Arc` of the lock:
        // the lock outlives the guard until that save has committed.
        self.held.take();
    }
}
