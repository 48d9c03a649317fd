//! What a transaction really read, wrote and incremented: the one definition of an *actual*
//! access set (DESIGN.md, "Locations and access sets" and "Commutative increments"), used by the
//! metrics and the reports (the runtime validates by value instead: `runtime/validate.rs`).
//!
//! A [`Recorder`] is a revm [`Inspector`](revm::Inspector) that notes reads while the
//! transaction runs; [`Recorder::finish`] then derives the changes from revm's post-transaction
//! state (original vs present values), so a write undone by a reverted frame is not a write,
//! while the reads made inside that frame still count.
//!
//! # Definition
//! - **Storage**: `SLOAD` and `SSTORE` read the slot (an `SSTORE`'s gas depends on the value it
//!   replaces); a slot whose value at the end differs from its value at the start is written.
//!   Transient storage (`TLOAD`/`TSTORE`) is not shared state.
//! - **Balance**: read by `BALANCE`, `SELFBALANCE`, the sender of any value transfer (`CALL`,
//!   `CALLCODE`, `CREATE*` with value; it must have enough), a self-destructing contract, and the
//!   transaction's sender (gas purchase). A balance that changed is written if it was read, and
//!   *incremented* if it was only credited. Every transaction increments the block beneficiary's
//!   balance with its fee (even a zero one); that is a write only if the beneficiary's balance is
//!   really read.
//! - **Nonce**: the sender's nonce is read and written; `CREATE`/`CREATE2` read the creator's
//!   nonce and the target's (collision check); a changed nonce is written.
//! - **Code** (code and existence): read by `EXTCODESIZE`/`EXTCODEHASH`/`EXTCODECOPY`, by calling
//!   an account (its code, or for `DELEGATECALL`/`CALLCODE` the code address; for an EIP-7702
//!   delegated account also the delegate's code), by a
//!   `CREATE*` target (collision check) and by a `SELFDESTRUCT` beneficiary (new-account gas);
//!   written when an account comes into existence (created, or first credited), is
//!   self-destructed, gets new code, or is deleted as empty (EIP-161). Calls into precompiles read nothing unless they may pay new-account gas.
//! - **Slot origins**: every 32- and 64-byte `KECCAK256` the transaction computes, so hashed
//!   slots can be matched against predicted families.
//!
//! Not recorded: the sender's code (EIP-3607; only EIP-7702 can change it), and the reads of
//! an EIP-7702 authorization that fails (a valid one writes the authority's nonce and code).

mod finish;
mod inspector;

#[cfg(test)]
mod tests;

pub use inspector::Recorder;

use alloy_primitives::Address;
use lanes_analyzer::{Access, AccessPrediction, AccessSet, Location, SlotOrigins};
use serde::{Deserialize, Serialize};

/// What one executed transaction really accessed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualAccess {
    /// Reads, writes and increments, by the definition of this module.
    pub set: AccessSet,
    /// Every slot derivation (`keccak256` of 32 or 64 bytes) the transaction computed.
    pub origins: SlotOrigins,
    /// The block beneficiary, whose balance the fee increments (`None` if no frame ran).
    pub beneficiary: Option<Address>,
}

impl ActualAccess {
    /// Whether `prediction` covers every access (DESIGN.md, "covered").
    pub fn covered_by(&self, prediction: &AccessPrediction) -> bool {
        prediction.covers_all(&self.set, &self.origins)
    }

    /// The accesses `prediction` misses.
    pub fn missed_by(&self, prediction: &AccessPrediction) -> Vec<(Location, Access)> {
        prediction.missed(&self.set, &self.origins)
    }
}
