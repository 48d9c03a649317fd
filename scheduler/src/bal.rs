//! EIP-7928 block access lists: the BAL a block's execution produces, the locations a block's
//! predictions give, and the grading of one against the other.
//!
//! [`BalBuilder`] takes each transaction's post-transaction state from revm
//! (`ResultAndState::state`, whose original values are those at the start of the transaction)
//! and records, at block access index `i + 1` for transaction `i`:
//! - every account revm loaded (call and create targets, `BALANCE`/`EXTCODE*` targets, sender,
//!   recipient, beneficiary), with empty change lists when nothing changed; EIP-2930 entries
//!   are only warmed by revm, not loaded, so they appear only when really touched;
//! - a storage change for every slot whose value at the end differs from its value at the
//!   start, and a storage read for every other slot loaded (`SLOAD`, no-op `SSTORE`, slots of
//!   reverted frames); a slot changed anywhere in the block is not also a read;
//! - post-transaction balance, nonce and code when they differ from the start of the
//!   transaction; an account created and destroyed in the same transaction gets no nonce or
//!   code change, a balance change only if it had a balance, and its slots become reads.
//!
//! Post-execution balance increments (block rewards, EIP-4895 withdrawals) go in at index
//! `n + 1` with [`BalBuilder::add_increments`]. Pre-execution system calls (index 0) are the caller's to add:
//! the pre-states lanes reads do not hold the system contracts' storage.

pub use alloy_eip7928::{AccountChanges, BlockAccessIndex};

use crate::graph::Accesses;
use alloy_eip7928::{
    BalanceChange, CodeChange, NonceChange, SlotChanges, StorageChange,
    compute_block_access_list_hash,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use lanes_analyzer::{AccessPrediction, Location, Scope, SlotOrigins};
use revm::state::EvmState;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
struct Account {
    changes: BTreeMap<U256, Vec<StorageChange>>,
    reads: BTreeSet<U256>,
    balance: Vec<BalanceChange>,
    nonce: Vec<NonceChange>,
    code: Vec<CodeChange>,
}

/// Accumulates a block's access list transaction by transaction.
#[derive(Debug, Default)]
pub struct BalBuilder {
    accounts: BTreeMap<Address, Account>,
    /// Each loaded account's balance after the last state added.
    balances: BTreeMap<Address, U256>,
}

impl BalBuilder {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the post-transaction `state` of the transaction at block index `tx` (0-based).
    pub fn add_tx(&mut self, tx: usize, state: &EvmState) {
        self.add_state(BlockAccessIndex::from_tx_index(tx as u64), state);
    }

    /// Adds a post-state at an explicit block access index (0 for pre-execution system calls).
    pub fn add_state(&mut self, index: BlockAccessIndex, state: &EvmState) {
        for (address, account) in state {
            let entry = self.accounts.entry(*address).or_default();
            let destroyed = account.is_selfdestructed() && account.is_created();
            for (slot, value) in &account.storage {
                if value.is_changed() && !destroyed {
                    entry
                        .changes
                        .entry(*slot)
                        .or_default()
                        .push(StorageChange::new(index, value.present_value));
                } else {
                    entry.reads.insert(*slot);
                }
            }
            let original = account.original_info();
            let info = &account.info;
            self.balances.insert(*address, info.balance);
            if info.balance != original.balance {
                entry.balance.push(BalanceChange::new(index, info.balance));
            }
            if destroyed {
                continue;
            }
            if info.nonce != original.nonce {
                entry.nonce.push(NonceChange::new(index, info.nonce));
            }
            if info.code_hash != original.code_hash {
                let code = info
                    .code
                    .as_ref()
                    .map_or_else(Bytes::new, revm::bytecode::Bytecode::original_bytes);
                entry.code.push(CodeChange::new(index, code));
            }
        }
    }

    /// Applies post-execution balance increments (block rewards, EIP-4895 withdrawals in wei)
    /// at `index` (`n + 1`). `before(address)` gives the balance of an account no transaction
    /// loaded (from the pre-state). Zero increments are left out, as EIP-7928 requires.
    pub fn add_increments(
        &mut self,
        index: BlockAccessIndex,
        increments: impl IntoIterator<Item = (Address, u128)>,
        before: impl Fn(Address) -> U256,
    ) {
        let mut total: BTreeMap<Address, u128> = BTreeMap::new();
        for (address, amount) in increments {
            if amount > 0 {
                let t = total.entry(address).or_default();
                *t = t.saturating_add(amount);
            }
        }
        for (address, amount) in total {
            let start = self
                .balances
                .get(&address)
                .copied()
                .unwrap_or_else(|| before(address));
            let after = start.saturating_add(U256::from(amount));
            self.balances.insert(address, after);
            self.accounts
                .entry(address)
                .or_default()
                .balance
                .push(BalanceChange::new(index, after));
        }
    }

    /// The finished list, ordered as EIP-7928 requires.
    pub fn finish(self) -> Vec<AccountChanges> {
        self.accounts
            .into_iter()
            .map(|(address, a)| {
                let reads = a
                    .reads
                    .into_iter()
                    .filter(|s| !a.changes.contains_key(s))
                    .collect();
                AccountChanges {
                    address,
                    storage_changes: a
                        .changes
                        .into_iter()
                        .map(|(slot, changes)| SlotChanges::new(slot, changes))
                        .collect(),
                    storage_reads: reads,
                    balance_changes: a.balance,
                    nonce_changes: a.nonce,
                    code_changes: a.code,
                }
            })
            .collect()
    }
}

/// The RLP encoding of a block access list.
pub fn bal_rlp(bal: &[AccountChanges]) -> Bytes {
    let mut out = Vec::new();
    alloy_rlp::encode_list(bal, &mut out);
    out.into()
}

/// `keccak256(rlp(bal))`, the header's `block_access_list_hash`.
pub fn bal_hash(bal: &[AccountChanges]) -> B256 {
    compute_block_access_list_hash(bal)
}

/// The locations of a block access list, without values: what a prediction can say.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BalLocations {
    /// Accounts, each with the slots it changes and the slots it only reads.
    pub accounts: BTreeMap<Address, SlotSets>,
    /// Scopes a prediction could not enumerate (whole contracts, families, unknown).
    pub widened: BTreeSet<Scope>,
}

/// Changed and read slots of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SlotSets {
    /// Slots written.
    pub changed: BTreeSet<U256>,
    /// Slots read and not written.
    pub read: BTreeSet<U256>,
}

impl BalLocations {
    /// The locations of an actual block access list.
    pub fn of_bal(bal: &[AccountChanges]) -> Self {
        let accounts = bal
            .iter()
            .map(|a| {
                (
                    a.address,
                    SlotSets {
                        changed: a.storage_changes.iter().map(|s| s.slot).collect(),
                        read: a.storage_reads.iter().copied().collect(),
                    },
                )
            })
            .collect();
        Self {
            accounts,
            widened: BTreeSet::new(),
        }
    }

    /// The predicted block access list's locations: every account and slot the predictions
    /// name, and the scopes they widen to.
    pub fn of_predictions(predictions: &[AccessPrediction]) -> Self {
        let mut out = Self::default();
        for p in predictions {
            for (location, access) in p.exact().iter() {
                let sets = out.accounts.entry(location.address()).or_default();
                if let Location::Storage { slot, .. } = location {
                    if access == lanes_analyzer::Access::Read {
                        sets.read.insert(slot);
                    } else {
                        sets.changed.insert(slot);
                    }
                }
            }
            for w in p.widened() {
                if let Some(a) = w.scope.address() {
                    out.accounts.entry(a).or_default();
                }
                out.widened.insert(w.scope);
            }
        }
        for sets in out.accounts.values_mut() {
            let changed = sets.changed.clone();
            sets.read.retain(|s| !changed.contains(s));
        }
        out
    }

    fn covers_slot(&self, address: Address, slot: U256, origins: &SlotOrigins) -> bool {
        let location = Location::storage(address, slot);
        self.accounts
            .get(&address)
            .is_some_and(|s| s.changed.contains(&slot) || s.read.contains(&slot))
            || self.widened.iter().any(|w| w.contains(&location, origins))
    }
}

/// How a predicted access list compares with the actual one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BalGrade {
    /// Accounts in the actual list.
    pub actual_accounts: usize,
    /// Slots (changed or read) in the actual list.
    pub actual_slots: usize,
    /// Actual accounts the prediction does not name (and no unknown scope covers).
    pub missing_accounts: Vec<Address>,
    /// Predicted accounts the block does not touch.
    pub extra_accounts: Vec<Address>,
    /// Actual slots the prediction does not name or cover with a scope.
    pub missing_slots: Vec<(Address, U256)>,
    /// Predicted slots the block does not touch.
    pub extra_slots: Vec<(Address, U256)>,
    /// Actual slots covered only by a widened scope.
    pub widened_slots: usize,
    /// Actually changed slots predicted only as reads.
    pub changed_predicted_read: Vec<(Address, U256)>,
}

impl BalGrade {
    /// Grades `predicted` against `actual`; `origins` says where hashed slots come from.
    pub fn new(predicted: &BalLocations, actual: &BalLocations, origins: &SlotOrigins) -> Self {
        let unknown = predicted.widened.contains(&Scope::Unknown);
        let mut grade = Self {
            actual_accounts: actual.accounts.len(),
            ..Self::default()
        };
        for (address, sets) in &actual.accounts {
            let named = predicted.accounts.get(address);
            if named.is_none() && !unknown {
                grade.missing_accounts.push(*address);
            }
            for (slot, changed) in sets
                .changed
                .iter()
                .map(|s| (*s, true))
                .chain(sets.read.iter().map(|s| (*s, false)))
            {
                grade.actual_slots += 1;
                let exact =
                    named.is_some_and(|n| n.changed.contains(&slot) || n.read.contains(&slot));
                if exact {
                    if changed && named.is_some_and(|n| !n.changed.contains(&slot)) {
                        grade.changed_predicted_read.push((*address, slot));
                    }
                } else if predicted.covers_slot(*address, slot, origins) {
                    grade.widened_slots += 1;
                } else {
                    grade.missing_slots.push((*address, slot));
                }
            }
        }
        for (address, sets) in &predicted.accounts {
            let Some(real) = actual.accounts.get(address) else {
                grade.extra_accounts.push(*address);
                continue;
            };
            for slot in sets.changed.iter().chain(&sets.read) {
                if !real.changed.contains(slot) && !real.read.contains(slot) {
                    grade.extra_slots.push((*address, *slot));
                }
            }
        }
        grade
    }
}

#[cfg(test)]
mod tests;
