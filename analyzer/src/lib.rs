//! lanes-analyzer: predicts what an Ethereum transaction will read and write, before it runs,
//! by abstract interpretation of the EVM bytecode it reaches.

/// Block directories: `block.json`, `prestate.json`, `block_hashes.json`.
pub mod input;
/// Locations of shared state and access sets.
pub mod location;
/// Where hashed storage slots come from.
pub mod origins;
/// Predicted access sets with widened families.
pub mod prediction;

pub use input::{BlockInput, InputError, PreAccount, PreState};
pub use location::{Access, AccessSet, Location};
pub use origins::SlotOrigins;
pub use prediction::{AccessPrediction, Scope, Widening};
