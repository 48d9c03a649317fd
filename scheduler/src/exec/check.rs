//! Comparing an execution with the block header (DESIGN.md, "Correctness oracle").

use super::BlockOutcome;
use alloy_consensus::BlockHeader;
use lanes_analyzer::BlockInput;
use revm::primitives::hardfork::SpecId;
use serde::Serialize;
use std::fmt;

/// The outcome of one header check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// Computed value equals the header's.
    Match,
    /// Computed value differs from the header's.
    Mismatch,
    /// Not checkable for this block (receipts root before Byzantium).
    Skipped,
}

impl Check {
    fn of(equal: bool) -> Self {
        if equal { Self::Match } else { Self::Mismatch }
    }

    /// `match`, `mismatch` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::Mismatch => "mismatch",
            Self::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The header checks of one block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeaderCheck {
    /// Receipts root (skipped before Byzantium: those receipts hold intermediate state roots).
    pub receipts_root: Check,
    /// Logs bloom.
    pub logs_bloom: Check,
    /// Gas used.
    pub gas_used: Check,
    /// One line per mismatch: what the header says and what execution gave.
    pub details: Vec<String>,
}

impl HeaderCheck {
    /// True when nothing mismatched.
    pub fn ok(&self) -> bool {
        [self.receipts_root, self.logs_bloom, self.gas_used]
            .iter()
            .all(|c| *c != Check::Mismatch)
    }
}

/// Checks an execution's receipts root, logs bloom and gas used against the block header.
pub fn check_header(input: &BlockInput, outcome: &BlockOutcome) -> HeaderCheck {
    let header = &input.block.header;
    let mut details = Vec::new();
    let receipts_root = if outcome.spec.is_enabled_in(SpecId::BYZANTIUM) {
        let computed = outcome.receipts_root();
        let check = Check::of(header.receipts_root() == computed);
        if check == Check::Mismatch {
            details.push(format!(
                "receipts root: header {}, computed {computed}",
                header.receipts_root(),
            ));
        }
        check
    } else {
        Check::Skipped
    };
    let logs_bloom = Check::of(header.logs_bloom() == outcome.logs_bloom());
    if logs_bloom == Check::Mismatch {
        details.push("logs bloom differs from the header's".to_string());
    }
    let gas_used = Check::of(header.gas_used() == outcome.gas_used);
    if gas_used == Check::Mismatch {
        details.push(format!(
            "gas used: header {}, computed {}",
            header.gas_used(),
            outcome.gas_used
        ));
    }
    HeaderCheck {
        receipts_root,
        logs_bloom,
        gas_used,
        details,
    }
}
