//! Why predictions miss or widen, grouped by cause over any set of transactions.

use super::TxQuality;
use crate::record::ActualAccess;
use lanes_analyzer::{Access, AccessPrediction, Location, Scope};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The prefix of a miss whose prediction an earlier transaction of the block made stale (see
/// `BlockQuality::stale`).
pub const STALE: &str = "state changed by an earlier tx in the block";

/// Why an actual access was not predicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissKind {
    /// A hashed slot (mapping entry, array element) whose family was not predicted.
    FamilySlot,
    /// A hashed slot of a family the prediction names other slots of: the key or index
    /// differs (often a counter or pointer an earlier transaction moved).
    FamilyOtherKey,
    /// A plain (not hashed) slot not predicted.
    PlainSlot,
    /// A storage slot predicted as read but written.
    StorageWrittenNotRead,
    /// A balance read not predicted.
    BalanceRead,
    /// A balance write not predicted.
    BalanceWrite,
    /// A balance credit not predicted.
    BalanceIncrement,
    /// A balance predicted with a weaker access (e.g. increment, but also read).
    BalanceAccessKind,
    /// A nonce access not predicted.
    Nonce,
    /// A code or existence read not predicted: a call or EXTCODE target not resolved.
    CodeRead,
    /// An account creation, destruction or deletion not predicted.
    CodeWrite,
}

impl MissKind {
    /// A short stable description.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FamilySlot => "storage: slot of a mapping/array family not predicted",
            Self::FamilyOtherKey => {
                "storage: mapping/array slot with another key or index than predicted"
            }
            Self::PlainSlot => "storage: plain slot not predicted",
            Self::StorageWrittenNotRead => "storage: predicted read, actually written",
            Self::BalanceRead => "balance read not predicted",
            Self::BalanceWrite => "balance write not predicted",
            Self::BalanceIncrement => "balance credit not predicted",
            Self::BalanceAccessKind => "balance: predicted access too weak",
            Self::Nonce => "nonce access not predicted",
            Self::CodeRead => "code/existence read not predicted (call or EXTCODE target)",
            Self::CodeWrite => "account creation/destruction not predicted",
        }
    }

    /// Classifies one missed access.
    pub fn classify(
        location: &Location,
        access: Access,
        prediction: &AccessPrediction,
        actual: &ActualAccess,
    ) -> Self {
        let predicted = prediction.exact.get(location).is_some();
        match (*location, access) {
            (Location::Storage { .. }, _) if predicted => Self::StorageWrittenNotRead,
            (Location::Storage { address, slot }, _) => {
                let root = actual.origins.root(slot);
                if root == slot {
                    Self::PlainSlot
                } else if predicts_family(prediction, actual, address, root) {
                    Self::FamilyOtherKey
                } else {
                    Self::FamilySlot
                }
            }
            (Location::Balance { .. }, _) if predicted => Self::BalanceAccessKind,
            (Location::Balance { .. }, Access::Read) => Self::BalanceRead,
            (Location::Balance { .. }, Access::Write) => Self::BalanceWrite,
            (Location::Balance { .. }, Access::Increment) => Self::BalanceIncrement,
            (Location::Nonce { .. }, _) => Self::Nonce,
            (Location::Code { .. }, Access::Read) => Self::CodeRead,
            (Location::Code { .. }, _) => Self::CodeWrite,
        }
    }
}

/// Whether the prediction names an exact slot of `address` derived from `root`.
fn predicts_family(
    prediction: &AccessPrediction,
    actual: &ActualAccess,
    address: alloy_primitives::Address,
    root: alloy_primitives::U256,
) -> bool {
    prediction.exact.iter().any(|(location, _)| match location {
        Location::Storage { address: a, slot } if a == address => {
            prediction.origins.derives_from(slot, root) || actual.origins.derives_from(slot, root)
        }
        _ => false,
    })
}

/// How often one cause occurred.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CauseCount {
    /// Occurrences (missed accesses, or widenings).
    pub count: usize,
    /// Transactions with at least one.
    pub txs: usize,
    /// Gas used by those transactions.
    pub gas: u64,
}

impl CauseCount {
    fn add(&mut self, other: &Self) {
        self.count += other.count;
        self.txs += other.txs;
        self.gas += other.gas;
    }
}

/// Misses and widenings grouped by cause; keys are stable descriptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Causes {
    /// Widenings by the stable part of their reason and their scope.
    pub widenings: BTreeMap<String, CauseCount>,
    /// Missed accesses by [`MissKind`], prefixed with [`STALE`] when the prediction relied on a
    /// value an earlier transaction changed.
    pub misses: BTreeMap<String, CauseCount>,
}

impl Causes {
    /// Counts one transaction's widenings and misses.
    pub fn record(
        &mut self,
        prediction: &AccessPrediction,
        actual: &ActualAccess,
        quality: &TxQuality,
        stale: bool,
    ) {
        let mut widenings: BTreeMap<String, usize> = BTreeMap::new();
        for widening in &prediction.widened {
            let scope = match widening.scope {
                Scope::Family { .. } => "family",
                Scope::Contract { .. } => "contract",
                Scope::Unknown => "unknown",
            };
            let key = format!("{} [{scope}]", stable_reason(&widening.reason));
            *widenings.entry(key).or_default() += 1;
        }
        let mut misses: BTreeMap<String, usize> = BTreeMap::new();
        for (location, access) in &quality.missed {
            let kind = MissKind::classify(location, *access, prediction, actual);
            let key = if stale {
                format!("{STALE}: {}", kind.as_str())
            } else {
                kind.as_str().to_owned()
            };
            *misses.entry(key).or_default() += 1;
        }
        for (into, counts) in [(&mut self.widenings, widenings), (&mut self.misses, misses)] {
            for (key, count) in counts {
                into.entry(key).or_default().add(&CauseCount {
                    count,
                    txs: 1,
                    gas: quality.gas,
                });
            }
        }
    }

    /// Adds another grouping (e.g. another block's).
    pub fn add(&mut self, other: &Self) {
        for (into, from) in [
            (&mut self.widenings, &other.widenings),
            (&mut self.misses, &other.misses),
        ] {
            for (key, count) in from {
                into.entry(key.clone()).or_default().add(count);
            }
        }
    }

    /// Causes sorted by gas, then count, largest first.
    pub fn ranked(map: &BTreeMap<String, CauseCount>) -> Vec<(&str, CauseCount)> {
        let mut ranked: Vec<_> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        ranked.sort_by(|a, b| (b.1.gas, b.1.count, a.0).cmp(&(a.1.gas, a.1.count, b.0)));
        ranked
    }
}

/// The part of a widening reason that names the cause: `"<cause> at pc 0x.. in 0x.."` gives
/// `"<cause>"`.
pub fn stable_reason(reason: &str) -> &str {
    let end = [" at pc ", " in 0x", " at 0x"]
        .iter()
        .filter_map(|marker| reason.find(marker))
        .min()
        .unwrap_or(reason.len());
    reason[..end].trim()
}
