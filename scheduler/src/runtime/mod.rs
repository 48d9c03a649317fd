//! The parallel runtime (DESIGN.md, "Runtime" and "Beneficiary"): executes a block on the
//! current rayon pool, scheduled by the predicted conflict graph, and returns exactly what
//! sequential execution returns, for any prediction.
//!
//! How: every thread of the pool runs the same loop, with no barrier between transactions.
//! - Commits form a prefix of the block, in block order, made by whichever thread holds the
//!   committer role. It validates the next transaction's speculative run by value
//!   ([`validate`]): every value the run read must equal what the committed prefix holds now,
//!   except balances the run never looked at, which commit as deltas (fees to the beneficiary
//!   and credits commute), the sender's while it covers the transaction's cost, and nonces
//!   it did not depend on (a run reads its sender with the nonce its transaction carries).
//!   A stale or failed run is executed again on the committed state by
//!   the committer itself, which then needs no validation; so is the next transaction if no
//!   thread has started it.
//!   Commits that no transaction is predicted to read wait in the committer's own layer and
//!   reach the shared state every few commits: each write to it costs every reader a miss.
//! - Otherwise a thread runs speculatively the lowest transaction whose predecessors in the
//!   predicted graph (normally [`crate::graph::ConflictGraph::for_runtime`]'s) are all committed, against the committed state as it is while it
//!   runs (read under a lock, without an inspector: [`observe`]). When none is, and the
//!   committer waits for a transaction still running, predecessors that ran speculatively
//!   count too: their successors read the changes of those runs over the committed state, so
//!   a chain behind a long transaction need not wait for it (the validator checks what they
//!   read like anything else).
//! - A transaction with no predecessor at all reads the pre-block state instead, without the
//!   lock: by prediction it reads nothing an earlier one writes, and a misprediction is a
//!   stale read like any other.
//!
//! A wrong prediction costs a re-execution only when a transaction really read something an
//! earlier one changed after it read it; a prediction that is too wide only costs parallelism.

mod observe;
mod validate;

mod estimate;
mod run;
mod signal;
mod state;

pub use estimate::planned_speedup;
pub use state::{CommittedState, Exclusive};

use crate::exec::{
    BlockContext, BlockOutcome, ExecError, PreStateDb, execute_context, execute_prepared,
};
use crate::graph::ConflictGraph;
use alloy_primitives::{Address, U256};
use lanes_analyzer::{AccessPrediction, BlockInput, Location};
use serde::Serialize;

/// Blocks with fewer transactions than this run sequentially. Size alone decides little
/// (measured with 2 threads: two AMM swaps already gain 1.2x, 128 plain transfers still lose);
/// [`planned_speedup`], which counts the overheads, decides the rest.
pub const DEFAULT_MIN_PARALLEL_TXS: usize = 2;

/// Blocks whose plan promises less than this ([`planned_speedup`] on the pool's threads,
/// overheads included) run sequentially: a chain of dependent transactions, or transactions
/// too cheap to pay for their hand-off, gain nothing.
pub const DEFAULT_MIN_PLANNED_SPEEDUP: f64 = 1.0;

/// How the runtime runs.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeOptions {
    /// Blocks with fewer transactions run sequentially.
    pub min_parallel_txs: usize,
    /// Blocks whose plan promises a smaller speedup run sequentially.
    pub min_planned_speedup: f64,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            min_parallel_txs: DEFAULT_MIN_PARALLEL_TXS,
            min_planned_speedup: DEFAULT_MIN_PLANNED_SPEEDUP,
        }
    }
}

impl RuntimeOptions {
    /// Whether the block is better run sequentially on the current rayon pool.
    pub fn sequential(&self, plan: &RuntimePlan) -> bool {
        plan.work.len() < self.min_parallel_txs
            || rayon::current_num_threads() < 2
            || planned_speedup(plan, rayon::current_num_threads()) < self.min_planned_speedup
    }
}

/// What the runtime plans a block on: the conflicts it must respect, and what each
/// transaction computes.
#[derive(Clone, Debug)]
pub struct RuntimePlan {
    /// The predicted conflicts ([`ConflictGraph::for_runtime`]).
    pub graph: ConflictGraph,
    /// Each transaction's predicted work ([`AccessPrediction::work`]).
    pub work: Vec<u64>,
}

/// Why a transaction was executed a second time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reexecution {
    /// The transaction.
    pub tx: usize,
    /// Locations whose value its speculative run read differs from the committed one (empty
    /// when the run failed instead).
    pub conflicts: Vec<Location>,
    /// revm's error from the speculative run, if it failed.
    pub failed: Option<String>,
}

/// The parallel result and how it was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParallelOutcome {
    /// Receipts and post-state, identical to [`crate::exec::execute_sequential`]'s.
    pub outcome: BlockOutcome,
    /// Transactions run speculatively (the others ran on the committed state, as the next to
    /// commit); 0 when the block ran sequentially.
    pub speculated: usize,
    /// Transactions executed again, in block order.
    pub reexecuted: Vec<Reexecution>,
    /// True when the block ran sequentially (too small, too dependent, or a single thread).
    pub sequential: bool,
}

impl ParallelOutcome {
    /// A block run sequentially because parallelism could not pay.
    fn ran_sequentially(outcome: BlockOutcome) -> Self {
        Self {
            outcome,
            speculated: 0,
            reexecuted: Vec::new(),
            sequential: true,
        }
    }
}

/// The plan the runtime runs `ctx`'s block on: the predictions' work, and
/// [`ConflictGraph::for_runtime`] with each transaction's sender whose pre-block balance covers
/// the most the transaction may cost. A sender the block funds first (an exchange wallet
/// topped up, a fresh account) would fail revm's balance check run early, and be executed
/// again: it waits for the credit instead.
pub fn runtime_plan(
    input: &BlockInput,
    ctx: &BlockContext,
    predictions: &[AccessPrediction],
) -> RuntimePlan {
    let senders: Vec<Option<Address>> = ctx
        .txs
        .iter()
        .map(|t| {
            let caller = t.env.caller;
            let balance = input
                .prestate
                .account(&caller)
                .map_or(U256::ZERO, |a| a.balance);
            validate::covers_cost(balance, t).then_some(caller)
        })
        .collect();
    RuntimePlan {
        graph: ConflictGraph::for_runtime(predictions, &senders),
        work: predictions.iter().map(|p| p.work).collect(),
    }
}

/// Executes the block on the current rayon pool ([`execute_planned`]), or sequentially when
/// `options` say parallelism cannot pay.
pub fn execute_parallel(
    input: &BlockInput,
    ctx: &BlockContext,
    plan: &RuntimePlan,
    options: RuntimeOptions,
) -> Result<ParallelOutcome, ExecError> {
    if options.sequential(plan) {
        return Ok(ParallelOutcome::ran_sequentially(execute_context(
            input, ctx,
        )?));
    }
    execute_planned(input, ctx, &plan.graph)
}

/// [`execute_parallel`] over an already prepared pre-state (see
/// [`crate::exec::execute_prepared`]).
pub fn execute_parallel_prepared(
    pre: &PreStateDb<'_>,
    ctx: &BlockContext,
    plan: &RuntimePlan,
    options: RuntimeOptions,
) -> Result<ParallelOutcome, ExecError> {
    if options.sequential(plan) {
        return Ok(ParallelOutcome::ran_sequentially(execute_prepared(
            pre, ctx,
        )?));
    }
    run::execute(CommittedState::over(pre), ctx, &plan.graph)
}

/// Executes the block (see the module documentation). `graph` is a conflict graph over its
/// transactions (normally built from their predictions): a transaction runs speculatively once
/// its predecessors in `graph` are committed. Any graph gives the sequential result; one built
/// from good predictions gives few re-executions.
pub fn execute_planned(
    input: &BlockInput,
    ctx: &BlockContext,
    graph: &ConflictGraph,
) -> Result<ParallelOutcome, ExecError> {
    run::execute(CommittedState::new(input), ctx, graph)
}
