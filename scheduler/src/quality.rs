//! Prediction quality: the numbers every report uses (DESIGN.md, "Prediction quality"), computed
//! here once from predictions and actual access sets.
//!
//! - **covered**: every actual read, write and increment is inside the prediction;
//!   coverage by count and by gas used.
//! - **exact precision**: over transactions whose prediction has no widening at all,
//!   Σ |predicted ∩ actual| / Σ |predicted|, counting locations (the access kind does not matter).
//! - **widened**: the prediction includes a whole contract or unknown.
//!
//! Empty denominators give the vacuous answer: coverage and precision 1, widened fraction 0.

mod causes;

pub use causes::{CauseCount, Causes, MissKind, STALE, stable_reason};

use crate::record::ActualAccess;
use alloy_primitives::map::HashSet;
use lanes_analyzer::{Access, AccessPrediction, Location};
use serde::{Deserialize, Serialize};

/// Quality of one block: per transaction, summed, and by cause.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockQuality {
    /// One entry per transaction, in block order.
    pub txs: Vec<TxQuality>,
    /// Per transaction: whether an earlier transaction changed a value the prediction relied on
    /// (one of its `assumptions`), or created, destroyed or re-coded an account whose accesses
    /// the prediction misses (the analyzer saw the pre-block code).
    pub stale: Vec<bool>,
    /// The sums.
    pub summary: Quality,
    /// Misses and widenings by cause.
    pub causes: Causes,
}

impl BlockQuality {
    /// Assesses a block: `predictions`, `actuals` and `gas` (used) per transaction, in block
    /// order (extra entries of a longer slice are ignored).
    pub fn assess(predictions: &[AccessPrediction], actuals: &[ActualAccess], gas: &[u64]) -> Self {
        let mut block = Self::default();
        let mut changed: HashSet<Location> = HashSet::default();
        for ((prediction, actual), &gas) in predictions.iter().zip(actuals).zip(gas) {
            let tx = TxQuality::assess(prediction, actual, gas);
            let stale = prediction.assumptions.iter().any(|l| changed.contains(l))
                || tx
                    .missed
                    .iter()
                    .any(|(l, _)| changed.contains(&Location::code(l.address())));
            block.summary.push(&tx);
            block.causes.record(prediction, actual, &tx, stale);
            block.txs.push(tx);
            block.stale.push(stale);
            changed.extend(
                actual
                    .set
                    .writes
                    .iter()
                    .chain(&actual.set.increments)
                    .copied(),
            );
        }
        block
    }
}

/// How well one transaction was predicted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxQuality {
    /// Gas the transaction used.
    pub gas: u64,
    /// Every actual access is predicted.
    pub covered: bool,
    /// The prediction includes a whole contract or unknown.
    pub widened: bool,
    /// The prediction has no widening of any kind.
    pub exact: bool,
    /// Exactly predicted locations.
    pub predicted: usize,
    /// Exactly predicted locations the transaction really accessed.
    pub hits: usize,
    /// Actually accessed locations.
    pub actual: usize,
    /// Actual accesses the prediction does not cover.
    pub missed: Vec<(Location, Access)>,
    /// Exactly predicted locations the transaction did not access.
    pub extra: Vec<Location>,
}

impl TxQuality {
    /// Compares one transaction's prediction with what it really did.
    pub fn assess(prediction: &AccessPrediction, actual: &ActualAccess, gas: u64) -> Self {
        let missed = actual.missed_by(prediction);
        let mut hits = 0;
        let mut extra = Vec::new();
        for (location, _) in prediction.exact.iter() {
            if actual.set.get(&location).is_some() {
                hits += 1;
            } else {
                extra.push(location);
            }
        }
        Self {
            gas,
            covered: missed.is_empty(),
            widened: prediction.is_widened(),
            exact: prediction.is_exact(),
            predicted: prediction.exact.len(),
            hits,
            actual: actual.set.len(),
            missed,
            extra,
        }
    }
}

/// Quality summed over transactions (of one block or many); merge with [`Quality::add`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quality {
    /// Transactions.
    pub txs: usize,
    /// Gas used by them.
    pub gas: u64,
    /// Covered transactions.
    pub covered: usize,
    /// Gas used by covered transactions.
    pub covered_gas: u64,
    /// Transactions with a widened prediction.
    pub widened: usize,
    /// Σ |predicted| over transactions with no widening.
    pub exact_predicted: usize,
    /// Σ |predicted ∩ actual| over transactions with no widening.
    pub exact_hits: usize,
}

impl Quality {
    /// Quality of a set of transactions.
    pub fn of<'a>(txs: impl IntoIterator<Item = &'a TxQuality>) -> Self {
        let mut quality = Self::default();
        for tx in txs {
            quality.push(tx);
        }
        quality
    }

    /// Counts one more transaction.
    pub fn push(&mut self, tx: &TxQuality) {
        self.txs += 1;
        self.gas += tx.gas;
        if tx.covered {
            self.covered += 1;
            self.covered_gas += tx.gas;
        }
        if tx.widened {
            self.widened += 1;
        }
        if tx.exact {
            self.exact_predicted += tx.predicted;
            self.exact_hits += tx.hits;
        }
    }

    /// Adds another summary (e.g. another block).
    pub fn add(&mut self, other: &Self) {
        self.txs += other.txs;
        self.gas += other.gas;
        self.covered += other.covered;
        self.covered_gas += other.covered_gas;
        self.widened += other.widened;
        self.exact_predicted += other.exact_predicted;
        self.exact_hits += other.exact_hits;
    }

    /// Covered transactions / transactions.
    pub fn coverage_by_count(&self) -> f64 {
        ratio(self.covered as u64, self.txs as u64, 1.0)
    }

    /// Gas of covered transactions / gas.
    pub fn coverage_by_gas(&self) -> f64 {
        ratio(self.covered_gas, self.gas, 1.0)
    }

    /// Σ |predicted ∩ actual| / Σ |predicted| over transactions with no widening.
    pub fn exact_precision(&self) -> f64 {
        ratio(self.exact_hits as u64, self.exact_predicted as u64, 1.0)
    }

    /// Widened transactions / transactions.
    pub fn widened_fraction(&self) -> f64 {
        ratio(self.widened as u64, self.txs as u64, 0.0)
    }
}

fn ratio(numerator: u64, denominator: u64, empty: f64) -> f64 {
    if denominator == 0 {
        empty
    } else {
        numerator as f64 / denominator as f64
    }
}

#[cfg(test)]
mod tests;
