//! lanes-analyzer: predicts what an Ethereum transaction will read and write, before it runs,
//! by abstract interpretation of the EVM bytecode it reaches.
//!
//! Entry points: [`analyze_block`] (every transaction of a block directory) and [`analyze_tx`]
//! (one transaction against a [`StateView`]); budgets in [`Limits`].
//!
//! How it works: words are concrete wherever the transaction, the block and the pre-state make
//! them so, which keeps most transactions on a single path; unknown words carry a label when
//! they are a slot derived from a known base (`keccak256(key . base)`, `keccak256(base) + i`),
//! so an unknown key widens to that mapping's family only. A branch on an unknown condition
//! forks the path; a path cut by a budget widens with a [`Cause`]. Calls are followed with the
//! right storage context, precompiles are computed, CREATE/CREATE2 addresses derived. Over a
//! block, every transaction's prediction is the one made against the values (or the few
//! alternatives) the earlier predictions leave: the threads analyse ahead of block order
//! against the state as far as it is known, and a prediction is kept only if the state before
//! its transaction gives every answer the analysis got.

/// The per-block entry point.
mod block;
/// Why predictions widen.
pub mod cause;
/// The block environment.
pub mod env;
/// Block directories: `block.json`, `prestate.json`, `block_hashes.json`.
pub mod input;
/// Valid jump destinations of code.
mod jumps;
/// The analyzer's budgets.
pub mod limits;
/// Locations of shared state and access sets.
pub mod location;
/// Hashes and precompile results shared by a block's analyses.
mod memo;
/// Where hashed storage slots come from.
pub mod origins;
/// The state later transactions of a block see.
mod overlay;
/// Predicted access sets with widened families.
pub mod prediction;
/// The state's answers an analysis relied on.
mod queries;
/// Read-only pre-block state and analysed code.
pub mod state;
/// Entry points.
mod tx;
/// The abstract interpreter.
mod vm;

pub use block::analyze_block;
pub use cause::Cause;
pub use env::BlockEnv;
pub use input::{BlockInput, InputError, PreAccount, PreState};
pub use limits::Limits;
pub use location::{Access, AccessSet, Location};
pub use origins::SlotOrigins;
pub use prediction::{AccessPrediction, Scope, Widening};
pub use state::{BlockState, ContractCode, StateView};
pub use tx::analyze_tx;
