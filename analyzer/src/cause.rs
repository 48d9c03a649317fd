//! Why a prediction widens. A widening's reason is `"<cause> at pc 0x<pc> in 0x<address>"`
//! (or just `"<cause>"` when no code position applies), so reports can group by the cause.

use alloy_primitives::Address;
use std::fmt;

/// A stable, short name for why the analyzer could not be exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// A jump whose target is not a known constant.
    UnresolvedJump,
    /// A call, BALANCE or EXTCODE* whose address is not known.
    UnknownAddress,
    /// A storage slot that is neither known nor a keccak of a known base.
    UnknownSlot,
    /// A mapping or array slot with an unknown key (widens to the family only).
    UnknownKey,
    /// A memory offset or length that is not known.
    UnknownOffset,
    /// The steps budget ran out.
    StepBudget,
    /// The paths budget ran out.
    PathBudget,
    /// A loop whose exit depends on an unknown value ran past the loop budget.
    LoopBudget,
    /// The call depth budget ran out.
    CallDepth,
    /// A memory offset beyond the memory budget.
    MemoryLimit,
    /// CREATE/CREATE2 whose address cannot be derived.
    UnknownCreate,
    /// Code the analyzer does not interpret (e.g. EOF).
    UnsupportedCode,
    /// A value transfer of unknown amount to an unknown target.
    UnknownValue,
}

impl Cause {
    /// The stable name used in reasons.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnresolvedJump => "unresolved jump",
            Self::UnknownAddress => "unknown address",
            Self::UnknownSlot => "unknown slot",
            Self::UnknownKey => "unknown key",
            Self::UnknownOffset => "unknown offset",
            Self::StepBudget => "step budget",
            Self::PathBudget => "path budget",
            Self::LoopBudget => "loop budget",
            Self::CallDepth => "call depth",
            Self::MemoryLimit => "memory limit",
            Self::UnknownCreate => "unknown create",
            Self::UnsupportedCode => "unsupported code",
            Self::UnknownValue => "unknown value",
        }
    }

    /// The full reason string for a widening at `pc` in the code running at `address`.
    pub fn at(self, pc: usize, address: Address) -> String {
        format!("{} at pc {pc:#x} in {address}", self.as_str())
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
