//! The parallel runtime (DESIGN.md, "Runtime" and "Beneficiary"): executes a block on the
//! current rayon pool, scheduled by the predicted conflict graph, and returns exactly what
//! sequential execution returns, for any prediction.
//!
//! How: commits form a prefix of the block (transactions 0..k are committed, in block order).
//! 1. a *wave* runs, on the pool, every transaction whose predecessors in the predicted
//!    conflict graph are all committed, against the committed state (one shared, read-only
//!    [`CommittedState`]), recorded by the [`Recorder`];
//! 2. the committer takes transaction k, validates it — what it really read (and wrote) must
//!    not have been written or incremented by a transaction committed after its snapshot — and
//!    commits it with its balance changes as deltas, so fees to the beneficiary and credits it
//!    never read back commute with earlier ones; an invalid one (or one that failed against its
//!    snapshot) runs again on the committed state; then k+1, until a transaction has not run;
//! 3. whether the prediction covered the real accesses is reported per speculative
//!    transaction; a wrong prediction costs a re-execution only when it really invalidated the
//!    transaction. A transaction whose predecessors are not all committed waits for a later
//!    wave; one that is alone runs on the committing thread without the recorder (nothing needs
//!    its reads), as do re-executions.
//!
//! What it does not do (yet): start the next wave while the committer validates, or
//! re-execute speculatively in parallel; re-executions run on the committing thread.

mod state;

pub use state::{CommittedState, Exclusive};

use crate::exec::{
    BlockContext, BlockOutcome, ExecError, PreStateDb, PreparedTx, TxReceipt, execute_context,
    execute_prepared,
};
use crate::graph::ConflictGraph;
use crate::record::{ActualAccess, Recorder};
use alloy_evm::Evm;
use alloy_evm::eth::EthEvm;
use alloy_evm::precompiles::PrecompilesMap;
use alloy_primitives::map::HashMap;
use lanes_analyzer::{AccessPrediction, BlockInput, Location};
use rayon::prelude::*;
use revm::context_interface::result::ResultAndState;
use revm::database_interface::WrapDatabaseRef;
use revm::state::EvmState;
use serde::Serialize;

/// Blocks with fewer transactions than this run sequentially: below it, the parallel
/// machinery (recording, validation, thread hand-off) costs more than it can save.
pub const DEFAULT_MIN_PARALLEL_TXS: usize = 8;

/// How the runtime runs.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeOptions {
    /// Blocks with fewer transactions run sequentially.
    pub min_parallel_txs: usize,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            min_parallel_txs: DEFAULT_MIN_PARALLEL_TXS,
        }
    }
}

/// Why a transaction was executed a second time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reexecution {
    /// The transaction.
    pub tx: usize,
    /// Locations it read that an earlier transaction of its batch had changed (empty when
    /// it failed against the snapshot instead).
    pub conflicts: Vec<Location>,
    /// revm's error from the speculative run, if it failed.
    pub failed: Option<String>,
}

/// The parallel result and how it was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParallelOutcome {
    /// Receipts and post-state, identical to [`crate::exec::execute_sequential`]'s.
    pub outcome: BlockOutcome,
    /// Parallel waves executed (0 when the block ran sequentially); transactions that ran alone
    /// on the committing thread are not counted.
    pub waves: usize,
    /// Transactions executed again, in block order.
    pub reexecuted: Vec<Reexecution>,
    /// Transactions whose recorded accesses the prediction did not cover (only speculative runs
    /// are recorded; transactions run alone or again on the committed state are not).
    pub mispredicted: Vec<usize>,
    /// True when the block was below the threshold and ran sequentially.
    pub sequential: bool,
}

impl ParallelOutcome {
    /// A block run sequentially because it was below the threshold.
    fn ran_sequentially(outcome: BlockOutcome) -> Self {
        Self {
            outcome,
            waves: 0,
            reexecuted: Vec::new(),
            mispredicted: Vec::new(),
            sequential: true,
        }
    }
}

/// Executes the block on the current rayon pool ([`execute_planned`]), or sequentially when it
/// is below the threshold of `options`.
pub fn execute_parallel(
    input: &BlockInput,
    ctx: &BlockContext,
    predictions: &[AccessPrediction],
    graph: &ConflictGraph,
    options: RuntimeOptions,
) -> Result<ParallelOutcome, ExecError> {
    if ctx.len() < options.min_parallel_txs {
        return Ok(ParallelOutcome::ran_sequentially(execute_context(
            input, ctx,
        )?));
    }
    execute_planned(input, ctx, predictions, graph)
}

/// [`execute_parallel`] over an already prepared pre-state (see
/// [`crate::exec::execute_prepared`]).
pub fn execute_parallel_prepared(
    pre: &PreStateDb<'_>,
    ctx: &BlockContext,
    predictions: &[AccessPrediction],
    graph: &ConflictGraph,
    options: RuntimeOptions,
) -> Result<ParallelOutcome, ExecError> {
    if ctx.len() < options.min_parallel_txs {
        return Ok(ParallelOutcome::ran_sequentially(execute_prepared(
            pre, ctx,
        )?));
    }
    execute_with_state(CommittedState::over(pre), ctx, predictions, graph)
}

/// Executes the block (see the module documentation). `predictions` has one entry per
/// transaction and `graph` is a conflict graph over them (normally built from them): a
/// transaction is executed speculatively once its predecessors in `graph` are committed. Any
/// predictions and any graph give the sequential result; good ones give fewer re-executions.
pub fn execute_planned(
    input: &BlockInput,
    ctx: &BlockContext,
    predictions: &[AccessPrediction],
    graph: &ConflictGraph,
) -> Result<ParallelOutcome, ExecError> {
    execute_with_state(CommittedState::new(input), ctx, predictions, graph)
}

fn execute_with_state(
    mut state: CommittedState<'_>,
    ctx: &BlockContext,
    predictions: &[AccessPrediction],
    graph: &ConflictGraph,
) -> Result<ParallelOutcome, ExecError> {
    let n = ctx.len();
    // A transaction is ready once its latest predecessor is committed (commits are a prefix):
    // `released[k]` lists the transactions that become ready when k transactions are committed.
    let mut released: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
    for j in 0..n {
        let after = graph
            .predecessors(j)
            .into_iter()
            .filter(|&i| i < j)
            .max()
            .map_or(0, |i| i + 1);
        released[after].push(j);
    }
    ctx.pre_block(&mut Exclusive(&mut state))?;
    let mut committer = Committer {
        ctx,
        evm: ctx.evm(WrapDatabaseRef(state), Recorder::new()),
        last_writer: HashMap::default(),
        receipts: Vec::with_capacity(n),
        reexecuted: Vec::new(),
        mispredicted: Vec::new(),
        cumulative: 0,
    };
    let mut speculative: Vec<Option<Speculative>> = (0..n).map(|_| None).collect();
    let mut ready: Vec<usize> = Vec::new();
    let mut waves = 0;
    let mut k = 0;
    while k < n {
        // Everything released by the commits so far and not yet run; transaction k is always
        // among them (its predecessors are all below k).
        ready.append(&mut released[k]);
        ready.retain(|&j| j >= k && speculative[j].is_none());
        if ready.len() <= 1 {
            // Alone: run it on the committing thread, on the committed state.
            let recorded = committer.run(k)?;
            committer
                .evm
                .db_mut()
                .0
                .commit_exact(&recorded.outcome.state);
            committer.finish(k, &recorded);
            k += 1;
            continue;
        }
        // A wave: the ready transactions on the pool, against the committed prefix 0..k.
        waves += 1;
        let shared = &committer.evm.db().0;
        let per_job = (ready.len() / (4 * rayon::current_num_threads())).max(1);
        let results: Vec<(usize, Result<Recorded, ExecError>)> = ready
            .par_iter()
            .with_min_len(per_job)
            .map_init(
                || ctx.evm(WrapDatabaseRef(shared), Recorder::new()),
                |evm, &j| (j, run_recorded(ctx, evm, j, predictions.get(j))),
            )
            .collect();
        for (j, result) in results {
            speculative[j] = Some(Speculative {
                result,
                snapshot: k,
            });
        }
        ready.clear();
        // Commit in block order as far as transactions have run.
        while let Some(Speculative { result, snapshot }) =
            speculative.get_mut(k).and_then(Option::take)
        {
            committer.commit(k, result, snapshot)?;
            k += 1;
            ready.append(&mut released[k]);
        }
    }
    let mut state = committer.evm.into_db().0;
    ctx.post_block(&mut Exclusive(&mut state))?;
    Ok(ParallelOutcome {
        outcome: BlockOutcome::new(ctx.spec(), committer.receipts, state.post_state()),
        waves,
        reexecuted: committer.reexecuted,
        mispredicted: committer.mispredicted,
        sequential: false,
    })
}

/// The EVM the committer runs transactions in, owning the canonical state.
type CommitterEvm<'a> = EthEvm<WrapDatabaseRef<CommittedState<'a>>, Recorder, PrecompilesMap>;

/// The committing side: the canonical state and what the block has produced so far.
struct Committer<'c, 'a> {
    ctx: &'c BlockContext,
    evm: CommitterEvm<'a>,
    /// The last transaction that wrote or incremented each location.
    last_writer: HashMap<Location, usize>,
    receipts: Vec<TxReceipt>,
    reexecuted: Vec<Reexecution>,
    mispredicted: Vec<usize>,
    cumulative: u64,
}

impl Committer<'_, '_> {
    /// Runs transaction `k` on the committed state (not yet committed).
    fn run(&mut self, k: usize) -> Result<Recorded, ExecError> {
        // Nothing validates a run on the committed state, so its reads are not needed: run
        // without the recorder (revm's fast path) and take the changes from its state.
        self.evm.disable_inspector();
        let outcome = self.ctx.transact_in(k, &mut self.evm);
        self.evm.enable_inspector();
        let outcome = outcome?;
        let actual = Recorder::new().finish(&outcome.state);
        Ok(Recorded {
            outcome,
            actual,
            covered: None,
        })
    }

    /// Validates and commits transaction `k`'s speculative run against prefix `snapshot`, or
    /// runs it again when a transaction in `snapshot..k` changed what it read.
    fn commit(
        &mut self,
        k: usize,
        result: Result<Recorded, ExecError>,
        snapshot: usize,
    ) -> Result<(), ExecError> {
        let ctx = self.ctx;
        let recorded = match result {
            Ok(recorded) => {
                let conflicts =
                    stale_reads(&recorded.actual, ctx.tx(k)?, &self.last_writer, snapshot);
                if conflicts.is_empty() {
                    let state = &mut self.evm.db_mut().0;
                    commit_speculative(ctx, state, k, recorded)?
                } else {
                    self.reexecuted.push(Reexecution {
                        tx: k,
                        conflicts,
                        failed: None,
                    });
                    self.rerun(k)?
                }
            }
            Err(err) => {
                self.reexecuted.push(Reexecution {
                    tx: k,
                    conflicts: Vec::new(),
                    failed: Some(err.to_string()),
                });
                self.rerun(k)?
            }
        };
        ctx.check_block_gas(k, self.cumulative)?;
        self.finish(k, &recorded);
        Ok(())
    }

    /// Executes transaction `k` again against the committed state and commits it.
    fn rerun(&mut self, k: usize) -> Result<Recorded, ExecError> {
        let recorded = self.run(k)?;
        self.evm.db_mut().0.commit_exact(&recorded.outcome.state);
        Ok(recorded)
    }

    /// Book-keeping after transaction `k` is committed: receipt, writers, prediction check.
    fn finish(&mut self, k: usize, recorded: &Recorded) {
        if recorded.covered == Some(false) {
            self.mispredicted.push(k);
        }
        let actual = &recorded.actual.set;
        for location in actual.writes.iter().chain(&actual.increments) {
            self.last_writer.insert(*location, k);
        }
        self.cumulative += recorded.outcome.result.tx_gas_used();
        self.receipts.push(
            self.ctx
                .receipt(k, &recorded.outcome.result, self.cumulative),
        );
    }
}

/// A speculative execution and the committed prefix it ran against.
struct Speculative {
    result: Result<Recorded, ExecError>,
    snapshot: usize,
}

/// Commits a validated speculative execution (balance changes as deltas).
fn commit_speculative(
    ctx: &BlockContext,
    state: &mut CommittedState<'_>,
    index: usize,
    recorded: Recorded,
) -> Result<Recorded, ExecError> {
    let Recorded {
        outcome,
        actual,
        covered,
    } = recorded;
    let ResultAndState {
        result,
        state: changes,
    } = outcome;
    state
        .commit_rebased(changes)
        .map_err(|e| ExecError::State {
            block: ctx.number,
            index,
            hash: ctx.txs[index].hash,
            message: e.to_string(),
        })?;
    Ok(Recorded {
        outcome: ResultAndState {
            result,
            state: EvmState::default(),
        },
        actual,
        covered,
    })
}

/// A transaction's result with its recorded accesses.
struct Recorded {
    outcome: ResultAndState,
    actual: ActualAccess,
    /// Whether the prediction covered the recorded accesses (checked on the worker); `None`
    /// when the recorder did not run (only the changes were taken from the state).
    covered: Option<bool>,
}

fn run_recorded<DB: alloy_evm::Database>(
    ctx: &BlockContext,
    evm: &mut EthEvm<DB, Recorder, PrecompilesMap>,
    index: usize,
    prediction: Option<&AccessPrediction>,
) -> Result<Recorded, ExecError> {
    *evm.inspector_mut() = Recorder::new();
    let outcome = ctx.transact_in(index, evm)?;
    let actual = evm.inspector_mut().finish(&outcome.state);
    let covered = Some(prediction.is_some_and(|p| actual.covered_by(p)));
    Ok(Recorded {
        outcome,
        actual,
        covered,
    })
}

/// The locations `actual` read or wrote that a transaction committed after its snapshot
/// (index `snapshot` or later) wrote or incremented. Besides the recorded reads, the
/// transaction depends on its sender's code (EIP-3607, EIP-7702 delegation) and on each
/// EIP-7702 authority's nonce, code and existence (balance).
fn stale_reads(
    actual: &ActualAccess,
    tx: &PreparedTx,
    last_writer: &HashMap<Location, usize>,
    snapshot: usize,
) -> Vec<Location> {
    let implicit = std::iter::once(Location::code(tx.env.caller)).chain(
        tx.authorities
            .iter()
            .flat_map(|&a| [Location::code(a), Location::nonce(a), Location::balance(a)]),
    );
    let stale = |l: &Location| last_writer.get(l).is_some_and(|&w| w >= snapshot);
    let mut conflicts: Vec<Location> = actual
        .set
        .reads
        .iter()
        .chain(&actual.set.writes)
        .copied()
        .chain(implicit)
        .filter(stale)
        .collect();
    conflicts.sort();
    conflicts.dedup();
    conflicts
}
