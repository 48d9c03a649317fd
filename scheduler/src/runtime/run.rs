//! The loop every thread of the pool runs (see [`super`]): commit what can be committed, else
//! run the lowest ready transaction speculatively, else wait a moment.

use super::estimate::release_points;
use super::observe::{LiveDb, Observe, Observed, observing_evm};
use super::signal::Signal;
use super::state::{CommittedState, Exclusive};
use super::validate::stale_locations;
use super::{ParallelOutcome, Reexecution};
use crate::exec::{BlockContext, BlockOutcome, ExecError, TxReceipt};
use crate::graph::ConflictGraph;
use alloy_evm::Evm;
use alloy_evm::eth::EthEvm;
use alloy_evm::precompiles::PrecompilesMap;
use parking_lot::{RwLock, RwLockUpgradableReadGuard};
use revm::context_interface::result::{ExecutionResult, ResultAndState};
use revm::inspector::NoOpInspector;
use revm::primitives::hardfork::SpecId;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Runs the block's transactions on every thread of the current rayon pool, between its
/// pre-block and post-block system changes.
pub(super) fn execute(
    mut state: CommittedState<'_>,
    ctx: &BlockContext,
    graph: &ConflictGraph,
) -> Result<ParallelOutcome, ExecError> {
    ctx.pre_block(&mut Exclusive(&mut state))?;
    let run = Run::new(ctx, state, graph);
    rayon::broadcast(|_| run.work());
    let committer = run
        .committer
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(err) = committer.error {
        return Err(err);
    }
    let speculated = run
        .sched
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .speculated;
    let mut state = run.state.into_inner();
    ctx.post_block(&mut Exclusive(&mut state))?;
    Ok(ParallelOutcome {
        outcome: BlockOutcome::new(ctx.spec(), committer.receipts, state.post_state()),
        speculated,
        reexecuted: committer.reexecuted,
        sequential: false,
    })
}

type WorkerEvm<'s, 'a> = EthEvm<LiveDb<'s, 'a>, NoOpInspector, PrecompilesMap>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    /// A predecessor in the graph is not committed yet.
    Waiting,
    /// May run.
    Ready,
    /// Running, speculatively or as the next to commit.
    Running,
    /// Ran speculatively; the result waits for the committer.
    Done,
}

/// A speculative run and the balances it looked at.
struct Speculative {
    result: Result<ResultAndState, ExecError>,
    observed: Observed,
}

/// Which transaction may run, and the speculative results not committed yet.
struct Sched {
    status: Vec<Status>,
    results: Vec<Option<Box<Speculative>>>,
    /// Ready transactions, lowest first (entries whose status moved on are skipped).
    ready: BinaryHeap<Reverse<usize>>,
    /// `released[k]`: the transactions whose predecessors are all below `k`.
    released: Vec<Vec<usize>>,
    speculated: usize,
}

impl Sched {
    fn new(graph: &ConflictGraph, n: usize) -> Self {
        let mut released: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
        for (j, after) in release_points(graph, n).into_iter().enumerate() {
            released[after].push(j);
        }
        let mut sched = Self {
            status: vec![Status::Waiting; n],
            results: (0..n).map(|_| None).collect(),
            ready: BinaryHeap::new(),
            released,
            speculated: 0,
        };
        sched.release(0);
        sched
    }

    /// Makes ready what waited for `committed` transactions to be committed.
    fn release(&mut self, committed: usize) {
        for j in std::mem::take(&mut self.released[committed]) {
            if self.status[j] == Status::Waiting {
                self.status[j] = Status::Ready;
                self.ready.push(Reverse(j));
            }
        }
    }

    /// The lowest ready transaction, now running speculatively.
    fn take_ready(&mut self) -> Option<usize> {
        while let Some(Reverse(j)) = self.ready.pop() {
            if self.status[j] == Status::Ready {
                self.status[j] = Status::Running;
                self.speculated += 1;
                return Some(j);
            }
        }
        None
    }

    /// What the committer does with transaction `k`.
    fn claim(&mut self, k: usize) -> Claim {
        match self.status[k] {
            Status::Running => Claim::Busy,
            Status::Waiting | Status::Ready => {
                self.status[k] = Status::Running;
                Claim::Run
            }
            Status::Done => self.results[k].take().map_or(Claim::Run, Claim::Validate),
        }
    }

    fn done(&mut self, j: usize, run: Speculative) {
        self.results[j] = Some(Box::new(run));
        self.status[j] = Status::Done;
    }
}

/// What the committer does with the next transaction.
enum Claim {
    /// Another thread is running it: wait.
    Busy,
    /// Run it on the committed state.
    Run,
    /// Validate its speculative run.
    Validate(Box<Speculative>),
}

/// The committed prefix's book-keeping.
struct Committer {
    /// The next transaction to commit.
    next: usize,
    cumulative: u64,
    receipts: Vec<TxReceipt>,
    reexecuted: Vec<Reexecution>,
    error: Option<ExecError>,
}

struct Run<'c, 'a> {
    ctx: &'c BlockContext,
    spurious: bool,
    state: RwLock<CommittedState<'a>>,
    sched: Mutex<Sched>,
    committer: Mutex<Committer>,
    finished: AtomicBool,
    signal: Signal,
}

/// How long an idle worker spins before it parks: the commit that releases its next
/// transaction is usually microseconds away, and waking a parked thread costs tens of them.
const SPIN: Duration = Duration::from_micros(50);

impl<'c, 'a> Run<'c, 'a> {
    fn new(ctx: &'c BlockContext, state: CommittedState<'a>, graph: &ConflictGraph) -> Self {
        let n = ctx.len();
        Self {
            ctx,
            spurious: ctx.spec().is_enabled_in(SpecId::SPURIOUS_DRAGON),
            state: RwLock::new(state),
            sched: Mutex::new(Sched::new(graph, n)),
            committer: Mutex::new(Committer {
                next: 0,
                cumulative: 0,
                receipts: Vec::with_capacity(n),
                reexecuted: Vec::new(),
                error: None,
            }),
            finished: AtomicBool::new(n == 0),
            signal: Signal::default(),
        }
    }

    fn sched(&self) -> MutexGuard<'_, Sched> {
        self.sched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn work(&self) {
        let mut evm = observing_evm(self.ctx, LiveDb::new(&self.state));
        let mut idle_since: Option<Instant> = None;
        while !self.finished.load(Ordering::Acquire) {
            let seen = self.signal.seen();
            let mut progressed = false;
            if let Ok(mut committer) = self.committer.try_lock() {
                progressed = self.commit_available(&mut committer, &mut evm);
                if committer.next == self.ctx.len() || committer.error.is_some() {
                    self.finished.store(true, Ordering::Release);
                    self.signal.notify();
                    return;
                }
            }
            let task = self.sched().take_ready();
            if let Some(j) = task {
                let run = self.speculate(j, &mut evm);
                self.sched().done(j, run);
                self.signal.notify();
                progressed = true;
            }
            if progressed {
                idle_since = None;
            } else if idle_since.get_or_insert_with(Instant::now).elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                self.signal.wait(seen);
            }
        }
    }

    fn speculate(&self, j: usize, evm: &mut WorkerEvm<'_, 'a>) -> Speculative {
        evm.db_mut().observed().clear();
        let result = self.ctx.transact_in(j, evm);
        let observed = std::mem::take(evm.db_mut().observed());
        Speculative { result, observed }
    }

    /// Commits in block order for as long as the next transaction is available; true when it
    /// committed something.
    fn commit_available(&self, committer: &mut Committer, evm: &mut WorkerEvm<'_, 'a>) -> bool {
        let n = self.ctx.len();
        let mut progressed = false;
        let mut claim = if committer.next < n {
            self.sched().claim(committer.next)
        } else {
            Claim::Busy
        };
        while committer.next < n {
            let k = committer.next;
            if matches!(claim, Claim::Busy) {
                break;
            }
            progressed = true;
            let committed = self
                .ctx
                .check_block_gas(k, committer.cumulative)
                .and_then(|()| match std::mem::replace(&mut claim, Claim::Busy) {
                    Claim::Validate(run) => self.validate_and_commit(k, run, committer, evm),
                    Claim::Run | Claim::Busy => self.run_and_commit(k, evm),
                });
            match committed {
                Ok(result) => {
                    committer.cumulative += result.tx_gas_used();
                    let receipt = self.ctx.receipt(k, &result, committer.cumulative);
                    committer.receipts.push(receipt);
                    committer.next = k + 1;
                    // One lock: release what waited for this commit and look at the next.
                    let mut sched = self.sched();
                    sched.release(k + 1);
                    claim = if k + 1 < n {
                        sched.claim(k + 1)
                    } else {
                        Claim::Busy
                    };
                    drop(sched);
                    self.signal.notify();
                }
                Err(err) => {
                    committer.error = Some(err);
                    break;
                }
            }
        }
        progressed
    }

    /// Runs transaction `k` on the committed state, which is the state before it (the caller
    /// is the committer), and commits it.
    fn run_and_commit(
        &self,
        k: usize,
        evm: &mut WorkerEvm<'_, 'a>,
    ) -> Result<ExecutionResult, ExecError> {
        let ResultAndState { result, state } = self.ctx.transact_in(k, evm)?;
        self.state.write().commit_exact(&state);
        Ok(result)
    }

    /// Commits transaction `k`'s speculative run if every value it read is still current, or
    /// runs it again.
    fn validate_and_commit(
        &self,
        k: usize,
        run: Box<Speculative>,
        committer: &mut Committer,
        evm: &mut WorkerEvm<'_, 'a>,
    ) -> Result<ExecutionResult, ExecError> {
        let Speculative {
            result,
            mut observed,
        } = *run;
        let ResultAndState { result, mut state } = match result {
            Ok(outcome) => outcome,
            Err(err) => {
                committer.reexecuted.push(Reexecution {
                    tx: k,
                    conflicts: Vec::new(),
                    failed: Some(err.to_string()),
                });
                return self.run_and_commit(k, evm);
            }
        };
        let tx = self.ctx.tx(k)?;
        // Validation and rebasing only read: other workers keep reading meanwhile, and only
        // applying the changes excludes them.
        let committed = self.state.upgradable_read();
        let conflicts = stale_locations(&committed, &mut state, &mut observed, tx, self.spurious);
        if !conflicts.is_empty() {
            drop(committed);
            committer.reexecuted.push(Reexecution {
                tx: k,
                conflicts,
                failed: None,
            });
            return self.run_and_commit(k, evm);
        }
        committed.rebase(&mut state);
        RwLockUpgradableReadGuard::upgrade(committed).commit_exact(&state);
        Ok(result)
    }
}

#[cfg(test)]
mod tests;
