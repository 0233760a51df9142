//! One refresh at a time per credential in this process: the other lookups of the same
//! credential wait, then find the token the first one stored.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex};

#[derive(Default)]
pub(crate) struct RefreshLocks {
    held: Mutex<HashSet<Vec<u8>>>,
    released: Condvar,
}

/// Held while a credential is refreshed, updated, archived or deleted.
pub(crate) struct RefreshGuard<'a> {
    locks: &'a RefreshLocks,
    key: Vec<u8>,
}

impl RefreshLocks {
    /// Waits until no one holds `key`, then holds it.
    pub(crate) fn lock(&self, key: Vec<u8>) -> RefreshGuard<'_> {
        self.acquire(&key);
        RefreshGuard { locks: self, key }
    }

    /// Waits until no one holds `key`, then holds it until [`RefreshLocks::release`].
    /// For a holder that outlives a borrow (the rmcp adapter's owned guard).
    pub(crate) fn acquire(&self, key: &[u8]) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        while held.contains(key) {
            held = self.released.wait(held).unwrap_or_else(|p| p.into_inner());
        }
        held.insert(key.to_vec());
    }

    /// Lets the next waiter for `key` in.
    pub(crate) fn release(&self, key: &[u8]) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.remove(key);
        drop(held);
        self.released.notify_all();
    }
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        self.locks.release(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_holder_per_key() {
        let locks = RefreshLocks::default();
        let inside = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let _g = locks.lock(b"k".to_vec());
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    inside.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        let _a = locks.lock(b"a".to_vec());
        let _b = locks.lock(b"b".to_vec());
    }
}
