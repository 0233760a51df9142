//! Keeps the sync client off tokio's threads.
//!
//! `postgres::Client` drives its socket with a runtime of its own and `block_on`, which
//! panics on a thread that is already inside a tokio runtime (rust-postgres #639) —
//! and that includes dropping a client, whose `Drop` closes the socket the same way. So
//! every client call, and every drop of a client or of the pool, goes through
//! [`off_runtime`].

/// Runs `f` here, or on a scoped thread when this thread is inside a tokio runtime.
///
/// The extra thread costs a spawn (tens of microseconds) and is taken only where the
/// client would panic; `spawn_blocking` threads also count as inside a runtime, since
/// tokio offers no public way to tell them apart.
pub(super) fn off_runtime<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        // A panic in `f` stays a panic, with its own payload.
        Err(payload) => std::panic::resume_unwind(payload),
    })
}
