//! Sequential block execution on revm: the ground truth every other part of lanes is measured
//! against (DESIGN.md, "Correctness oracle").
//!
//! [`BlockContext`] prepares a block once (rules, environment, transactions) and executes single
//! transactions against any database; [`execute_sequential`] runs a whole block over the
//! in-memory pre-state and returns receipts, the receipts root, the logs bloom, gas used and the
//! post-block state; [`check_header`] compares that with the header.

mod check;
mod context;
mod db;
mod env;
mod error;
mod post;
mod receipts;
mod spec;

pub use alloy_hardforks::EthereumHardfork;
pub use check::{Check, HeaderCheck, check_header};
pub use context::BlockContext;
pub use db::{DbError, InMemoryDb, PreRef, PreStateDb};
pub use env::{PreparedTx, evm_env, prepare_txs};
pub use error::ExecError;
pub use post::{AccountChange, AccountState, PostState, PostStateBuilder, Touched};
pub use receipts::{TxReceipt, block_bloom, receipts_root};
pub use spec::{ChainRules, MAINNET_CHAIN_ID, chain_id, fork_from_shape, up_to};

use alloy_evm::eth::{EthEvmBuilder, EthEvmContext};
use alloy_evm::{Evm, EvmFactory, eth::EthEvmFactory};
use alloy_primitives::{B256, Bloom};
use lanes_analyzer::BlockInput;
use revm::context_interface::result::ResultAndState;
use revm::inspector::NoOpInspector;
use revm::primitives::hardfork::SpecId;
use revm::{DatabaseCommit, Inspector};

/// The result of executing a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// The spec the block ran under.
    pub spec: SpecId,
    /// One receipt per transaction, in block order.
    pub receipts: Vec<TxReceipt>,
    /// Gas used by the block.
    pub gas_used: u64,
    /// Every account the block changed.
    pub post_state: PostState,
}

impl BlockOutcome {
    /// Assembles the outcome from receipts and the final state.
    pub fn new(spec: SpecId, receipts: Vec<TxReceipt>, post_state: PostState) -> Self {
        Self {
            spec,
            gas_used: receipts.last().map_or(0, |r| r.cumulative_gas_used),
            receipts,
            post_state,
        }
    }

    /// Union of the receipts' blooms (computed on each call: a header commitment, not part of
    /// execution).
    pub fn logs_bloom(&self) -> Bloom {
        block_bloom(&self.receipts)
    }

    /// Receipts root with EIP-658 statuses, the header's from Byzantium on (computed on each
    /// call).
    pub fn receipts_root(&self) -> B256 {
        receipts_root(&self.receipts)
    }
}

/// Executes a block sequentially on plain revm over its in-memory pre-state, with no recording:
/// the straightforward baseline.
pub fn execute_sequential(input: &BlockInput) -> Result<BlockOutcome, ExecError> {
    execute_context(input, &BlockContext::new(input)?)
}

/// [`execute_sequential`] with an already prepared context (e.g. a forced fork).
pub fn execute_context(input: &BlockInput, ctx: &BlockContext) -> Result<BlockOutcome, ExecError> {
    execute_on(InMemoryDb::new(input), ctx)
}

/// [`execute_context`] over an already prepared pre-state (timings then leave out hashing and
/// analysing the pre-state's code, which every executor of the block shares).
pub fn execute_prepared(
    pre: &PreStateDb<'_>,
    ctx: &BlockContext,
) -> Result<BlockOutcome, ExecError> {
    execute_on(InMemoryDb::over(pre), ctx)
}

fn execute_on(mut db: InMemoryDb<'_>, ctx: &BlockContext) -> Result<BlockOutcome, ExecError> {
    ctx.pre_block(&mut db)?;
    let mut evm = EthEvmFactory::default().create_evm(db, ctx.evm_env.clone());
    let mut receipts = Vec::with_capacity(ctx.len());
    let mut cumulative = 0;
    for (index, tx) in ctx.txs.iter().enumerate() {
        ctx.check_block_gas(index, cumulative)?;
        let ResultAndState { result, state } = evm
            .transact_raw(tx.env.clone())
            .map_err(|e| ExecError::from_evm(ctx.number, index, tx.hash, e))?;
        cumulative += result.tx_gas_used();
        receipts.push(ctx.receipt(index, &result, cumulative));
        evm.db_mut().commit(state);
    }
    let mut db = evm.into_db();
    ctx.post_block(&mut db)?;
    Ok(BlockOutcome::new(ctx.spec(), receipts, db.post_state()))
}

/// Executes a block sequentially with a fresh inspector per transaction: `make(i)` creates the
/// inspector of transaction `i`, and `hook(i, &inspector, &result)` sees it with the
/// uncommitted result before the result is committed. System calls are not inspected.
pub fn execute_sequential_with<'a, I, F, H>(
    input: &'a BlockInput,
    make: F,
    hook: H,
) -> Result<BlockOutcome, ExecError>
where
    I: Inspector<EthEvmContext<InMemoryDb<'a>>>,
    F: FnMut(usize) -> I,
    H: FnMut(usize, &I, &ResultAndState),
{
    execute_context_with(input, &BlockContext::new(input)?, make, hook)
}

/// [`execute_sequential_with`] with an already prepared context.
pub fn execute_context_with<'a, I, F, H>(
    input: &'a BlockInput,
    ctx: &BlockContext,
    mut make: F,
    mut hook: H,
) -> Result<BlockOutcome, ExecError>
where
    I: Inspector<EthEvmContext<InMemoryDb<'a>>>,
    F: FnMut(usize) -> I,
    H: FnMut(usize, &I, &ResultAndState),
{
    let mut db = InMemoryDb::new(input);
    ctx.pre_block(&mut db)?;
    let mut receipts = Vec::with_capacity(ctx.len());
    let mut cumulative = 0;
    for (index, tx) in ctx.txs.iter().enumerate() {
        ctx.check_block_gas(index, cumulative)?;
        let mut evm = EthEvmBuilder::new(db, ctx.evm_env.clone())
            .activate_inspector(make(index))
            .build();
        let outcome = evm
            .transact_raw(tx.env.clone())
            .map_err(|e| ExecError::from_evm(ctx.number, index, tx.hash, e))?;
        hook(index, evm.inspector(), &outcome);
        let ResultAndState { result, state } = outcome;
        cumulative += result.tx_gas_used();
        receipts.push(ctx.receipt(index, &result, cumulative));
        evm.db_mut().commit(state);
        db = evm.into_db();
    }
    ctx.post_block(&mut db)?;
    Ok(BlockOutcome::new(ctx.spec(), receipts, db.post_state()))
}

/// A no-op inspector factory for [`execute_sequential_with`].
pub fn no_inspector(_index: usize) -> NoOpInspector {
    NoOpInspector
}
