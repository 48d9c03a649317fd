//! The loop every thread of the pool runs (see [`super`]): commit what can be committed, else
//! run the lowest ready transaction speculatively, else wait a moment.

use super::observe::{LiveDb, Observe, Observed, Reads, observing_evm};
use super::signal::Signal;
use super::state::{CommittedState, Exclusive, Layer, Layered, Now};
use super::validate::stale_locations;
use super::{ParallelOutcome, Reexecution};
use crate::exec::{BlockContext, BlockOutcome, ExecError, TxReceipt};
use crate::graph::{Cause, ConflictGraph};
use alloy_evm::Evm;
use alloy_evm::eth::EthEvm;
use alloy_evm::precompiles::PrecompilesMap;
use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};
use revm::context_interface::result::{ExecutionResult, ResultAndState};
use revm::inspector::NoOpInspector;
use revm::primitives::hardfork::SpecId;
use revm::state::EvmState;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
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
    let mut state = run
        .state
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
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
    /// A predecessor in the graph has neither run nor been committed yet.
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
    /// The pool thread that ran it, which gets its state back to free ([`Run::recycle`]).
    worker: usize,
}

/// Which transaction may run, and the speculative results not committed yet.
///
/// A transaction may run once each of its predecessors in the graph is committed or has run
/// speculatively: it then reads what those runs changed before the committed state (their
/// [`Layer`]s), so that a chain of dependent transactions does not wait, link after link, for
/// every transaction before it to commit. Whatever it read is validated at its commit.
struct Sched {
    status: Vec<Status>,
    results: Vec<Option<Box<Speculative>>>,
    /// Ready transactions, lowest first (entries whose status moved on are skipped).
    ready: ReadyQueue,
    /// Transactions whose status is `Ready`.
    ready_count: usize,
    /// `predecessors[j]`: the transactions `j` depends on in the graph.
    predecessors: Vec<Vec<usize>>,
    /// `guessed[j][n]`: whether `j`'s dependency on `predecessors[j][n]` rests on widened
    /// predictions only (a scope, not a location both touch).
    guessed: Vec<Vec<bool>>,
    /// Whether any dependency is a guess.
    guessing: bool,
    /// `successors[i]`: the transactions that depend on `i` in the graph.
    successors: Vec<Vec<usize>>,
    /// Predecessors of each transaction not yet run or committed.
    blocking: Vec<usize>,
    /// Whether the transaction has counted as run for its successors.
    unblocked: Vec<bool>,
    /// What uncommitted speculative runs changed, kept for transactions with successors.
    layers: Vec<Option<Arc<Layer>>>,
    /// Speculative runs not committed whose successors still wait for their commit.
    held: Vec<usize>,
    /// Transactions committed.
    committed: usize,
    speculated: usize,
}

impl Sched {
    fn new(graph: &ConflictGraph, n: usize) -> Self {
        let predecessors: Vec<Vec<usize>> = (0..n).map(|j| graph.predecessors(j)).collect();
        let guessed = predecessors
            .iter()
            .enumerate()
            .map(|(j, before)| {
                before
                    .iter()
                    .map(|&i| {
                        graph
                            .dependency(i, j)
                            .is_some_and(|d| d.causes.iter().all(Cause::is_widened))
                    })
                    .collect()
            })
            .collect::<Vec<Vec<bool>>>();
        let guessing = guessed.iter().flatten().any(|g| *g);
        let mut successors: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut blocking = vec![0; n];
        for (j, before) in predecessors.iter().enumerate() {
            for &i in before {
                successors[i].push(j);
            }
            blocking[j] = before.len();
        }
        let mut sched = Self {
            status: vec![Status::Waiting; n],
            results: (0..n).map(|_| None).collect(),
            ready: ReadyQueue::default(),
            ready_count: 0,
            predecessors,
            guessed,
            guessing,
            successors,
            blocking,
            unblocked: vec![false; n],
            layers: (0..n).map(|_| None).collect(),
            held: Vec::new(),
            committed: 0,
            speculated: 0,
        };
        for j in 0..n {
            if sched.blocking[j] == 0 {
                sched.status[j] = Status::Ready;
                sched.ready.first.push(j);
                sched.ready_count += 1;
            }
        }
        sched
    }

    fn make_ready(&mut self, j: usize) {
        if self.status[j] == Status::Waiting {
            self.status[j] = Status::Ready;
            self.ready.later.push(Reverse(j));
            self.ready_count += 1;
        }
    }

    /// Counts `i` as run for its successors (once).
    fn unblock(&mut self, i: usize) {
        if std::mem::replace(&mut self.unblocked[i], true) {
            return;
        }
        for k in 0..self.successors[i].len() {
            let j = self.successors[i][k];
            self.blocking[j] -= 1;
            if self.blocking[j] == 0 {
                self.make_ready(j);
            }
        }
    }

    /// Whether committing `k` lets a successor run that must read its changes: one ready
    /// already (it reads them once it starts) or made ready by this commit. Other successors
    /// start after later commits, which publish these changes with theirs.
    fn releases(&self, k: usize) -> bool {
        self.successors[k].iter().any(|&j| match self.status[j] {
            Status::Ready => true,
            Status::Waiting => !self.unblocked[k] && self.blocking[j] == 1,
            Status::Running | Status::Done => false,
        })
    }

    /// Transaction `k` is committed.
    fn committed(&mut self, k: usize) {
        self.committed = k + 1;
        self.layers[k] = None;
        self.unblock(k);
    }

    /// The lowest ready transaction, now running speculatively, and the changes of its
    /// uncommitted ancestors' runs, in block order. With none ready, the successors of the
    /// speculative runs not committed yet become ready: reading uncommitted changes costs
    /// validation and may cost a re-execution, which only pays when the worker would
    /// otherwise wait (behind a long transaction the committer waits for).
    fn take_ready(&mut self) -> Option<(usize, Reads)> {
        loop {
            while let Some(j) = self.ready.pop() {
                if self.status[j] == Status::Ready {
                    return Some(self.start(j));
                }
            }
            // Only while the next to commit runs: otherwise the committer is about to commit.
            let stalled = self.status.get(self.committed) == Some(&Status::Running);
            if !stalled {
                return None;
            }
            if self.held.is_empty() {
                let j = self.past_guesses()?;
                return Some(self.start(j));
            }
            for i in std::mem::take(&mut self.held) {
                self.unblock(i);
            }
        }
    }

    /// `j` runs speculatively, over the changes of its uncommitted ancestors' runs, or on the
    /// pre-block state when it has no ancestors.
    fn start(&mut self, j: usize) -> (usize, Reads) {
        self.set_running(j);
        self.speculated += 1;
        let reads = if self.predecessors[j].is_empty() {
            Reads::PreBlock
        } else {
            Reads::Committed(self.ancestor_layers(j))
        };
        (j, reads)
    }

    /// The lowest waiting transaction held back only by running ones whose conflict with it
    /// is a guess: a prediction widened to a scope (one that gave up on a path budget, say)
    /// says nothing of what it really touches, and the worker would otherwise wait.
    fn past_guesses(&self) -> Option<usize> {
        if !self.guessing {
            return None;
        }
        (self.committed + 1..self.status.len())
            .take(GUESS_WINDOW)
            .find(|&j| {
                self.status[j] == Status::Waiting
                    && self.predecessors[j]
                        .iter()
                        .zip(&self.guessed[j])
                        .all(|(&i, &guess)| {
                            self.unblocked[i] || (guess && self.status[i] == Status::Running)
                        })
            })
    }

    /// The layers of `j`'s uncommitted ancestors (all of them: the graph keeps no edge another
    /// path implies, so what `j` reads may have been written two links up), in block order.
    fn ancestor_layers(&self, j: usize) -> Vec<Arc<Layer>> {
        let mut found: Vec<usize> = Vec::new();
        let mut stack: Vec<usize> = self.predecessors[j].clone();
        while let Some(i) = stack.pop() {
            if i < self.committed || found.contains(&i) {
                continue;
            }
            found.push(i);
            stack.extend(&self.predecessors[i]);
        }
        found.sort_unstable();
        found
            .into_iter()
            .filter_map(|i| self.layers[i].clone())
            .collect()
    }

    /// `j` starts running (speculatively, or as the next to commit).
    fn set_running(&mut self, j: usize) {
        if self.status[j] == Status::Ready {
            self.ready_count -= 1;
        }
        self.status[j] = Status::Running;
    }

    /// Whether a parked worker would find something to run: a ready transaction, or (the
    /// next to commit running) a successor of an uncommitted run or one held back by guesses
    /// only ([`Self::take_ready`]).
    fn worth_waking(&self) -> bool {
        self.ready_count > 0
            || (self.status.get(self.committed) == Some(&Status::Running)
                && (!self.held.is_empty() || self.guessing))
    }

    /// Whether a run of `j` should leave its changes for others to read.
    fn has_successors(&self, j: usize) -> bool {
        !self.successors[j].is_empty()
    }

    /// What the committer does with transaction `k`.
    fn claim(&mut self, k: usize) -> Claim {
        match self.status[k] {
            Status::Running => Claim::Busy,
            Status::Waiting | Status::Ready => {
                self.set_running(k);
                Claim::Run
            }
            Status::Done => self.results[k].take().map_or(Claim::Run, Claim::Validate),
        }
    }

    fn done(&mut self, j: usize, run: Speculative, layer: Option<Layer>) {
        let ran = run.result.is_ok();
        self.results[j] = Some(Box::new(run));
        self.status[j] = Status::Done;
        // Its successors may read its changes, unless it is already committed (the committer
        // found it running and waited) or failed.
        if ran && self.committed <= j && self.has_successors(j) {
            self.layers[j] = layer.map(Arc::new);
            self.held.push(j);
        }
    }
}

/// Ready transactions, lowest first: those ready from the start (most of a block, in order)
/// in a list read once, the few that become ready later in a heap; one heap of thousands cost
/// a sift through cache lines the other worker had just written at every pop.
#[derive(Default)]
struct ReadyQueue {
    first: Vec<usize>,
    next: usize,
    later: BinaryHeap<Reverse<usize>>,
}

impl ReadyQueue {
    fn pop(&mut self) -> Option<usize> {
        let first = self.first.get(self.next).copied();
        match (first, self.later.peek()) {
            (Some(f), Some(&Reverse(l))) if l < f => self.later.pop().map(|Reverse(l)| l),
            (Some(f), _) => {
                self.next += 1;
                Some(f)
            }
            (None, _) => self.later.pop().map(|Reverse(l)| l),
        }
    }
}

/// Transactions after the next to commit that an idle worker looks at for one held back
/// only by guesses ([`Sched::past_guesses`]).
const GUESS_WINDOW: usize = 64;

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
    /// Commits not yet applied to the shared state ([`Run::publish`]): what the committer
    /// validates against is the shared state under these.
    pending: Arc<Layer>,
    /// Transactions in `pending`.
    unpublished: usize,
    cumulative: u64,
    receipts: Vec<TxReceipt>,
    reexecuted: Vec<Reexecution>,
    error: Option<ExecError>,
}

struct Run<'c, 'a> {
    ctx: &'c BlockContext,
    spurious: bool,
    /// Whether a transaction has successors in the graph: they may read its run's changes.
    feeds: Vec<bool>,
    state: ShardedLock<CommittedState<'a>>,
    sched: Mutex<Sched>,
    committer: Mutex<Committer>,
    finished: AtomicBool,
    signal: Signal,
    /// Per pool thread, states of its runs that another thread committed, for it to free:
    /// the allocator frees a block on the thread that allocated it for much less than on
    /// another, which queues it for the owner (a few percent of a parallel run otherwise).
    bins: Vec<Mutex<Vec<EvmState>>>,
}

/// How long an idle worker spins before it parks: the commit that releases its next
/// transaction is usually microseconds away, and waking a parked thread costs tens of them.
const SPIN: Duration = Duration::from_micros(50);

/// Most commits the shared state may lag behind. Every publication takes the write lock, which
/// makes each worker's next read of the shared state miss its cache; commits that release no
/// transaction predicted to depend on them can wait a few more, since a speculative run
/// reading an older value is caught by validation like any other stale read.
const PUBLISH_EVERY: usize = 16;

impl<'c, 'a> Run<'c, 'a> {
    fn new(ctx: &'c BlockContext, state: CommittedState<'a>, graph: &ConflictGraph) -> Self {
        let n = ctx.len();
        let sched = Sched::new(graph, n);
        Self {
            ctx,
            spurious: ctx.spec().is_enabled_in(SpecId::SPURIOUS_DRAGON),
            feeds: sched.successors.iter().map(|s| !s.is_empty()).collect(),
            state: ShardedLock::new(state),
            sched: Mutex::new(sched),
            committer: Mutex::new(Committer {
                next: 0,
                pending: Arc::default(),
                unpublished: 0,
                cumulative: 0,
                receipts: Vec::with_capacity(n),
                reexecuted: Vec::new(),
                error: None,
            }),
            finished: AtomicBool::new(n == 0),
            signal: Signal::default(),
            bins: (0..rayon::current_num_threads())
                .map(|_| Mutex::default())
                .collect(),
        }
    }

    fn read_state(&self) -> ShardedLockReadGuard<'_, CommittedState<'a>> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_state(&self) -> ShardedLockWriteGuard<'_, CommittedState<'a>> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn sched(&self) -> MutexGuard<'_, Sched> {
        self.sched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn work(&self) {
        let mut evm = observing_evm(self.ctx, LiveDb::new(&self.state));
        let mut idle_since: Option<Instant> = None;
        // The next transaction to run, taken when the last run was handed in (one lock for
        // both); it is this worker's until it runs: the committer waits for it.
        let mut task = None;
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
            if task.is_none() {
                task = self.sched().take_ready();
            }
            if let Some((j, reads)) = task.take() {
                self.empty_bin();
                let run = self.speculate(j, reads, &mut evm);
                let layer = match &run.result {
                    Ok(outcome) if self.feeds[j] => Some(Layer::of(&outcome.state)),
                    _ => None,
                };
                let mut sched = self.sched();
                sched.done(j, run, layer);
                task = sched.take_ready();
                drop(sched);
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

    fn speculate(&self, j: usize, reads: Reads, evm: &mut WorkerEvm<'_, 'a>) -> Speculative {
        evm.db_mut().observed().clear();
        evm.db_mut().set_reads(reads);
        let sender = self.ctx.tx(j).ok().map(|t| (t.env.caller, t.env.nonce));
        evm.db_mut().set_sender(sender);
        let result = self.ctx.transact_in(j, evm);
        evm.db_mut().set_sender(None);
        evm.db_mut().set_reads(Reads::Committed(Vec::new()));
        let observed = std::mem::take(evm.db_mut().observed());
        Speculative {
            result,
            observed,
            worker: rayon::current_thread_index().unwrap_or_default(),
        }
    }

    /// Frees `state`, a run of pool thread `worker`: here if this is that thread, else there.
    fn recycle(&self, worker: usize, state: EvmState) {
        match self.bins.get(worker) {
            Some(bin) if rayon::current_thread_index() != Some(worker) => {
                bin.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(state);
            }
            _ => drop(state),
        }
    }

    /// Frees what other threads committed of this thread's runs.
    fn empty_bin(&self) {
        let Some(bin) = rayon::current_thread_index().and_then(|i| self.bins.get(i)) else {
            return;
        };
        let states = std::mem::take(&mut *bin.lock().unwrap_or_else(PoisonError::into_inner));
        drop(states);
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
                    Claim::Run | Claim::Busy => self.run_and_commit(k, committer, evm),
                });
            match committed {
                Ok(result) => {
                    committer.cumulative += result.tx_gas_used();
                    let receipt = self.ctx.receipt(k, &result, committer.cumulative);
                    committer.receipts.push(receipt);
                    committer.next = k + 1;
                    if committer.unpublished >= PUBLISH_EVERY || k + 1 == n {
                        self.publish(committer);
                    }
                    // One lock: release what waited for this commit and look at the next. A
                    // transaction it releases reads the shared state: publish first (under
                    // the lock only then, since it holds back every worker).
                    let mut sched = self.sched();
                    if sched.releases(k) {
                        self.publish(committer);
                    }
                    sched.committed(k);
                    claim = if k + 1 < n {
                        sched.claim(k + 1)
                    } else {
                        Claim::Busy
                    };
                    // A commit that leaves a parked worker nothing to run does not wake it:
                    // along a chain the committer runs every transaction itself, and each
                    // wake-up (a system call here, a context switch there) slowed it down.
                    let wake = sched.worth_waking();
                    drop(sched);
                    if wake {
                        self.signal.notify();
                    }
                }
                Err(err) => {
                    committer.error = Some(err);
                    break;
                }
            }
        }
        progressed
    }

    /// Applies the pending commits to the shared state.
    fn publish(&self, committer: &mut Committer) {
        if committer.unpublished > 0 {
            self.write_state()
                .absorb(Arc::make_mut(&mut committer.pending));
            committer.unpublished = 0;
        }
    }

    /// Runs transaction `k` on the committed state, which is the state before it (the caller
    /// is the committer), and commits it.
    fn run_and_commit(
        &self,
        k: usize,
        committer: &mut Committer,
        evm: &mut WorkerEvm<'_, 'a>,
    ) -> Result<ExecutionResult, ExecError> {
        self.publish(committer);
        let ResultAndState { result, state } = self.ctx.transact_in(k, evm)?;
        self.write_state().commit_exact(&state);
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
            worker,
        } = *run;
        let ResultAndState { result, mut state } = match result {
            Ok(outcome) => outcome,
            Err(err) => {
                committer.reexecuted.push(Reexecution {
                    tx: k,
                    conflicts: Vec::new(),
                    failed: Some(err.to_string()),
                });
                return self.run_and_commit(k, committer, evm);
            }
        };
        let tx = self.ctx.tx(k)?;
        // Validation and rebasing only read: other workers keep reading meanwhile, and only
        // applying the changes excludes them. Only the committer writes, so the state it
        // validated is still the state it writes over.
        let shared = self.read_state();
        let committed = Layered {
            layers: std::slice::from_ref(&committer.pending),
            committed: &shared,
        };
        let mut nows = Vec::with_capacity(state.len());
        let conflicts = stale_locations(
            &committed,
            &mut state,
            &mut observed,
            tx,
            self.spurious,
            &mut nows,
        );
        if !conflicts.is_empty() {
            drop(shared);
            self.recycle(worker, state);
            committer.reexecuted.push(Reexecution {
                tx: k,
                conflicts,
                failed: None,
            });
            return self.run_and_commit(k, committer, evm);
        }
        committed.rebase(&mut state, &nows);
        drop(shared);
        Arc::make_mut(&mut committer.pending).apply(&state);
        self.recycle(worker, state);
        committer.unpublished += 1;
        Ok(result)
    }
}

#[cfg(test)]
mod tests;
