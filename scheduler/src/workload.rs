//! Generated blocks for benchmarks: N transactions over the project's own contracts
//! (`corpus/build/`), built in memory as a [`BlockInput`] with no node and no signatures.
//!
//! Every transaction has its own sender (nonce 0) and, unless it is hot, touches state no other
//! transaction touches, so the block's only shared location is the beneficiary's balance, which
//! fees increment. `hot_ratio` sends that fraction of the transactions, evenly spread over the
//! block, through one hot spot:
//!
//! - `raw`: ETH transfers to fresh recipients; hot ones pay one hot recipient (a commutative
//!   increment: they do not conflict with each other).
//! - `erc20`: `Token.transfer` on one of a few tokens; hot ones send token 0 to one hot
//!   recipient (a read-modify-write of one balance slot: a real chain).
//! - `amm`: `Router.swapExactIn` over a pair of its own; hot ones swap on one hot pair.
//! - `mixed`: each transaction one of the three at random.
//!
//! Contract state is written straight into the pre-state at the slots of the contracts'
//! storage layouts (balances, allowances, reserves); `Pair` code, whose token addresses are
//! immutables, comes from running its constructor. [`Workload::generate`] executes the block
//! once and fails unless every transaction succeeds; the header carries the receipts root, logs
//! bloom and gas used of that execution, so header checks pass on the generated block.

mod block;
mod build;
mod contracts;
mod rng;
#[cfg(test)]
mod tests;

use crate::exec::{ExecError, execute_sequential};
use lanes_analyzer::BlockInput;
use std::fmt;
use std::str::FromStr;

/// What the generated transactions do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    /// Plain ETH transfers between distinct accounts.
    Raw,
    /// ERC20 transfers, each from its own sender to its own recipient, over a few tokens.
    Erc20,
    /// Swaps through the router, each on its own constant-product pair.
    Amm,
    /// A random mix of the three.
    Mixed,
}

impl WorkloadKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 4] = [Self::Raw, Self::Erc20, Self::Amm, Self::Mixed];

    /// The kind's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Erc20 => "erc20",
            Self::Amm => "amm",
            Self::Mixed => "mixed",
        }
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WorkloadKind {
    type Err = WorkloadError;

    fn from_str(s: &str) -> Result<Self, WorkloadError> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| WorkloadError::UnknownKind(s.to_string()))
    }
}

/// Why a workload could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// Not one of `raw`, `erc20`, `amm`, `mixed`.
    #[error("unknown workload `{0}` (expected raw, erc20, amm or mixed)")]
    UnknownKind(String),
    /// The hot ratio is not in `[0, 1]`.
    #[error("hot ratio {0} is not between 0 and 1")]
    HotRatio(f64),
    /// A build artifact compiled into lanes is unreadable.
    #[error("corpus/build/{0}.json: {1}")]
    Artifact(&'static str, String),
    /// Running a contract's constructor failed.
    #[error("deploying a contract: {0}")]
    Deploy(String),
    /// The generated block does not execute.
    #[error("the generated block does not execute: {0}")]
    Exec(#[from] ExecError),
    /// A generated transaction failed: a bug in the generator.
    #[error("generated transaction {index} failed (gas used {gas_used})")]
    TxFailed {
        /// The transaction's index.
        index: usize,
        /// The gas it used.
        gas_used: u64,
    },
}

/// A workload to generate: kind, size, hot ratio and PRNG seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Workload {
    /// What the transactions do.
    pub kind: WorkloadKind,
    /// Number of transactions.
    pub txs: usize,
    /// Fraction of the transactions routed through one hot account, recipient or pair.
    pub hot_ratio: f64,
    /// Seed of the generator's PRNG: the same workload and seed give the same block.
    pub seed: u64,
}

impl Workload {
    /// `txs` transactions of `kind`, no hot spot, seed 1.
    pub fn new(kind: WorkloadKind, txs: usize) -> Self {
        Self {
            kind,
            txs,
            hot_ratio: 0.0,
            seed: 1,
        }
    }

    /// With a hot ratio.
    #[must_use]
    pub fn with_hot_ratio(mut self, hot_ratio: f64) -> Self {
        self.hot_ratio = hot_ratio;
        self
    }

    /// With a PRNG seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Builds the block and its pre-state, executes it once, checks that every transaction
    /// succeeded and writes the result into the header.
    pub fn generate(&self) -> Result<BlockInput, WorkloadError> {
        if !(0.0..=1.0).contains(&self.hot_ratio) {
            return Err(WorkloadError::HotRatio(self.hot_ratio));
        }
        let mut input = build::build(self)?;
        let outcome = execute_sequential(&input)?;
        if let Some((index, r)) = outcome
            .receipts
            .iter()
            .enumerate()
            .find(|(_, r)| !r.success)
        {
            return Err(WorkloadError::TxFailed {
                index,
                gas_used: r.gas_used,
            });
        }
        block::seal(&mut input, &outcome);
        Ok(input)
    }

    /// Whether transaction `index` of the block goes through the hot spot: exactly
    /// `floor(txs * hot_ratio)` transactions, evenly spread.
    fn is_hot(&self, index: usize) -> bool {
        let before = (index as f64 * self.hot_ratio).floor();
        let after = ((index + 1) as f64 * self.hot_ratio).floor();
        after > before
    }
}
