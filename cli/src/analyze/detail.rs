//! `--tx N`: one transaction's predicted and actual accesses side by side, with readable slot
//! descriptions.

use super::block::BlockRun;
use super::table::Table;
use super::txs::TxRow;
use alloy_primitives::{U256, keccak256};
use lanes_analyzer::{Access, Location, Scope, SlotOrigins};
use serde::Serialize;
use std::collections::BTreeMap;

/// Largest offset from a hash still described as an element or member of it.
const MAX_OFFSET: u64 = 1 << 32;

/// One location with how it was accessed and what it is.
#[derive(Debug, Serialize)]
pub(crate) struct Entry {
    /// The location.
    pub(crate) location: Location,
    /// How it is (predicted to be) accessed.
    pub(crate) access: Access,
    /// E.g. "slot 3[0x00…42]" or "balance".
    pub(crate) description: String,
}

/// One widened part of the prediction.
#[derive(Debug, Serialize)]
pub(crate) struct WideningEntry {
    /// What it covers.
    pub(crate) scope: String,
    /// How it may be accessed.
    pub(crate) access: Access,
    /// Why.
    pub(crate) reason: String,
}

/// One transaction, predicted vs actual.
#[derive(Debug, Serialize)]
pub(crate) struct TxDetail {
    /// The transaction's row.
    #[serde(flatten)]
    pub(crate) row: TxRow,
    /// The predicted work ([`lanes_analyzer::AccessPrediction::work`]), which the runtime's
    /// planner weighs the transaction by.
    pub(crate) work: u64,
    /// Actual accesses not predicted.
    pub(crate) missed: Vec<Entry>,
    /// Exactly predicted locations not accessed.
    pub(crate) extra: Vec<Entry>,
    /// Everything the transaction accessed.
    pub(crate) actual: Vec<Entry>,
    /// Exactly predicted locations.
    pub(crate) predicted: Vec<Entry>,
    /// Widened families.
    pub(crate) widened: Vec<WideningEntry>,
}

impl TxDetail {
    /// The detail of transaction `index` of `run`, if it exists.
    pub(crate) fn new(run: &BlockRun, index: usize) -> Option<Self> {
        let row = TxRow::all(run).into_iter().nth(index)?;
        let prediction = run.predictions.get(index)?;
        let actual = run.actuals.get(index)?;
        let quality = run.quality.txs.get(index)?;
        let mut origins = actual.origins.clone();
        origins.extend(&prediction.origins);
        let entry = |location: Location, access: Access| Entry {
            location,
            access,
            description: describe(&location, &origins, &run.keys),
        };
        Some(Self {
            row,
            work: prediction.work,
            missed: quality.missed.iter().map(|(l, a)| entry(*l, *a)).collect(),
            extra: quality
                .extra
                .iter()
                .filter_map(|l| prediction.exact.get(l).map(|a| entry(*l, a)))
                .collect(),
            actual: actual.set.iter().map(|(l, a)| entry(l, a)).collect(),
            predicted: prediction.exact.iter().map(|(l, a)| entry(l, a)).collect(),
            widened: prediction
                .widened
                .iter()
                .map(|w| WideningEntry {
                    scope: match w.scope {
                        Scope::Family { address, root } => {
                            format!("{address} {}[*]", describe_slot(root, &origins, &run.keys))
                        }
                        Scope::Contract { address } => format!("{address} every slot"),
                        Scope::Unknown => "anything".to_owned(),
                    },
                    access: w.access,
                    reason: w.reason.clone(),
                })
                .collect(),
        })
    }

    /// The sections as titled tables.
    pub(crate) fn tables(&self) -> Vec<(String, Table)> {
        let section = |entries: &[Entry]| {
            let mut table = Table::new(&["access", "contract", "location"]);
            for e in entries {
                table.row(vec![
                    format!("{:?}", e.access).to_lowercase(),
                    e.location.address().to_string(),
                    e.description.clone(),
                ]);
            }
            table
        };
        let mut widened = Table::new(&["access", "scope", "reason"]);
        for w in &self.widened {
            widened.row(vec![
                format!("{:?}", w.access).to_lowercase(),
                w.scope.clone(),
                w.reason.clone(),
            ]);
        }
        let title = |name: &str, n: usize| format!("{name} ({n})");
        vec![
            (
                format!("transaction {} (work: {} steps)", self.row.index, self.work),
                TxRow::table(std::slice::from_ref(&self.row)),
            ),
            (title("missed", self.missed.len()), section(&self.missed)),
            (title("extra", self.extra.len()), section(&self.extra)),
            (title("actual", self.actual.len()), section(&self.actual)),
            (
                title("predicted", self.predicted.len()),
                section(&self.predicted),
            ),
            (title("widened", self.widened.len()), widened),
        ]
    }
}

/// What a location is, readably.
pub(crate) fn describe(
    location: &Location,
    origins: &SlotOrigins,
    keys: &BTreeMap<U256, U256>,
) -> String {
    match *location {
        Location::Storage { slot, .. } => describe_slot(slot, origins, keys),
        Location::Balance { .. } => "balance".to_owned(),
        Location::Nonce { .. } => "nonce".to_owned(),
        Location::Code { .. } => "code".to_owned(),
    }
}

/// A slot as a Solidity-like expression over its root: `slot 3`, `slot 3[0xab…cd]` (mapping
/// entry), `slot 7[]+5` (array element), `slot 3[?]` (key not seen), with `+k` for members.
pub(crate) fn describe_slot(
    slot: U256,
    origins: &SlotOrigins,
    keys: &BTreeMap<U256, U256>,
) -> String {
    describe_depth(slot, origins, keys, 0)
}

fn describe_depth(
    slot: U256,
    origins: &SlotOrigins,
    keys: &BTreeMap<U256, U256>,
    depth: usize,
) -> String {
    let Some(base) = origins.parent(slot).filter(|_| depth < 16) else {
        return format!("slot {}", word(slot));
    };
    let parent = describe_depth(base, origins, keys, depth + 1);
    let offset = |start: U256| {
        let k = slot - start;
        if k.is_zero() {
            String::new()
        } else {
            format!("+{k}")
        }
    };
    if let Some((&hash, &key)) = keys.range(..=slot).next_back()
        && slot - hash < U256::from(MAX_OFFSET)
        && origins.parent(hash) == Some(base)
    {
        return format!("{parent}[{}]{}", word(key), offset(hash));
    }
    let array = U256::from_be_bytes(keccak256(base.to_be_bytes::<32>()).0);
    if slot >= array && slot - array < U256::from(MAX_OFFSET) {
        return format!("{parent}[]{}", offset(array));
    }
    format!("{parent}[?]")
}

/// A word: decimal when small, an address when it looks like one, else shortened hex.
fn word(value: U256) -> String {
    if value < U256::from(1u64 << 32) {
        value.to_string()
    } else if value.bit_len() <= 160 {
        format!("{value:#042x}")
    } else {
        super::txs::short(&value.to_be_bytes::<32>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(
        origins: &mut SlotOrigins,
        keys: &mut BTreeMap<U256, U256>,
        key: u64,
        base: U256,
    ) -> U256 {
        let mut preimage = [0u8; 64];
        preimage[..32].copy_from_slice(&U256::from(key).to_be_bytes::<32>());
        preimage[32..].copy_from_slice(&base.to_be_bytes::<32>());
        let hash = origins.observe(&preimage);
        keys.insert(hash, U256::from(key));
        hash
    }

    #[test]
    fn plain_mapping_nested_and_array_slots() {
        let mut origins = SlotOrigins::default();
        let mut keys = BTreeMap::new();
        assert_eq!(describe_slot(U256::from(5), &origins, &keys), "slot 5");
        let inner = mapping(&mut origins, &mut keys, 7, U256::from(3));
        assert_eq!(describe_slot(inner, &origins, &keys), "slot 3[7]");
        assert_eq!(
            describe_slot(inner + U256::from(2), &origins, &keys),
            "slot 3[7]+2"
        );
        let nested = mapping(&mut origins, &mut keys, 9, inner);
        assert_eq!(describe_slot(nested, &origins, &keys), "slot 3[7][9]");
        let array = origins.observe(&U256::from(8).to_be_bytes::<32>());
        assert_eq!(
            describe_slot(array + U256::from(4), &origins, &keys),
            "slot 8[]+4"
        );
        keys.clear();
        assert_eq!(describe_slot(inner, &origins, &keys), "slot 3[?]");
    }

    #[test]
    fn words_read_as_numbers_or_addresses() {
        assert_eq!(word(U256::from(42)), "42");
        let address = U256::from_be_slice(&[0x11; 20]);
        assert_eq!(word(address), format!("0x{}", "11".repeat(20)));
        assert_eq!(word(U256::MAX), "0xffff…ffff");
    }
}
