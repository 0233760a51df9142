//! When a change reaches the disk: before the call returns (with concurrent writers
//! sharing one flush + fsync), or on a timer.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::backend::sled::Engine;
use crate::error::Result;

/// When a change is on disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// A call that changes the store returns once the change is on disk (flush and
    /// fsync). Concurrent writers share one fsync (group commit). The default.
    #[default]
    Immediate,
    /// Calls return once the change is applied in memory; a background thread flushes
    /// and fsyncs every `flush_interval`. A crash loses at most the changes of the last
    /// interval, never consistency. For throughput where that loss is acceptable.
    Periodic,
}

/// Group commit: a writer whose change was applied waits for a flush that started after
/// it; one writer runs it for all that are waiting.
#[derive(Default)]
pub(crate) struct GroupCommit {
    state: Mutex<SyncState>,
    done: Condvar,
}

#[derive(Default)]
struct SyncState {
    /// Tickets handed to writers whose change is applied.
    issued: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    syncing: bool,
    /// Tickets the last flush covered, and how long it took.
    last_batch: u64,
    last_sync: Duration,
}

impl GroupCommit {
    /// Returns once every change applied before this call is durable.
    pub(crate) fn wait_durable(&self, engine: &Engine) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.issued += 1;
        let ticket = state.issued;
        // A leader may be gathering writers (below): this ticket is one.
        self.done.notify_all();
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.syncing {
                state = self.done.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // Lead a sync covering every ticket issued so far. When the last one covered
            // several writers, they are about to write again: wait for as many, at most
            // as long as that sync took, so that one flush covers them all. A lone
            // writer (last batch of 1) never waits.
            state.syncing = true;
            let deadline = Instant::now() + state.last_sync;
            while state.issued - state.durable < state.last_batch {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                state = self
                    .done
                    .wait_timeout(state, deadline - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            let covers = state.issued;
            let batch = covers - state.durable;
            drop(state);
            let started = Instant::now();
            let result = engine.sync();
            let took = started.elapsed();
            state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.syncing = false;
            if result.is_ok() {
                state.durable = state.durable.max(covers);
                state.last_batch = batch;
                state.last_sync = took;
            }
            self.done.notify_all();
            result?;
        }
    }
}

/// The background flusher of [`Durability::Periodic`]; stops and joins when dropped.
pub(crate) struct Flusher {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    pub(crate) fn start(engine: Arc<Engine>, interval: Duration) -> std::io::Result<Flusher> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("vaultstore-flush".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    // An error here resurfaces at the next flush a caller asks for.
                    let _ = engine.sync();
                }
            })?;
        Ok(Flusher {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
