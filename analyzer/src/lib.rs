//! lanes-analyzer: predicts what an Ethereum transaction will read and write, before it runs,
//! by abstract interpretation of the EVM bytecode it reaches.
//!
//! Entry points: [`analyze_block`] (every transaction of a block directory) and [`analyze_tx`]
//! (one transaction against a [`StateView`]); budgets in [`Limits`].

/// Why predictions widen.
pub mod cause;
/// The block environment.
pub mod env;
/// Block directories: `block.json`, `prestate.json`, `block_hashes.json`.
pub mod input;
/// The analyzer's budgets.
pub mod limits;
/// Locations of shared state and access sets.
pub mod location;
/// Where hashed storage slots come from.
pub mod origins;
/// The state later transactions of a block see.
mod overlay;
/// Predicted access sets with widened families.
pub mod prediction;
/// Read-only pre-block state and analysed code.
pub mod state;
/// Entry points.
mod tx;
/// The abstract interpreter.
mod vm;

pub use cause::Cause;
pub use env::BlockEnv;
pub use input::{BlockInput, InputError, PreAccount, PreState};
pub use limits::Limits;
pub use location::{Access, AccessSet, Location};
pub use origins::SlotOrigins;
pub use prediction::{AccessPrediction, Scope, Widening};
pub use state::{BlockState, ContractCode, StateView};
pub use tx::{analyze_block, analyze_tx};
