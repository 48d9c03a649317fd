//! Parking for a worker with nothing to do (every ready transaction taken, the next to commit
//! still running elsewhere), so it does not take the CPU from the one that is working.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

/// Counts events (a transaction became ready, a run finished, the block is done) and wakes
/// the workers parked since the last one they saw.
#[derive(Debug, Default)]
pub(super) struct Signal {
    events: AtomicU64,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Signal {
    /// The events so far: read before looking for work, passed to [`Self::wait`].
    pub(super) fn seen(&self) -> u64 {
        self.events.load(SeqCst)
    }

    /// Something may have become possible: wake parked workers.
    pub(super) fn notify(&self) {
        self.events.fetch_add(1, SeqCst);
        if self.sleepers.load(SeqCst) > 0 {
            // Taking the lock orders this after a sleeper's check: it either sees the new
            // count or is already waiting.
            drop(self.lock.lock().unwrap_or_else(PoisonError::into_inner));
            self.wake.notify_all();
        }
    }

    /// Parks until an event after `seen` (or a millisecond, a guard against anything missed).
    pub(super) fn wait(&self, seen: u64) {
        self.sleepers.fetch_add(1, SeqCst);
        let guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        if self.events.load(SeqCst) == seen {
            drop(
                self.wake
                    .wait_timeout(guard, Duration::from_millis(1))
                    .unwrap_or_else(PoisonError::into_inner),
            );
        }
        self.sleepers.fetch_sub(1, SeqCst);
    }
}
