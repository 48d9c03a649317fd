//! The post-block state changes: a deterministic view that two executors can compare.

use super::db::PreStateDb;
use alloy_primitives::{Address, B256, U256, map::AddressMap, map::HashMap};
use rayon::prelude::*;
use revm::primitives::KECCAK_EMPTY;
use revm::state::{Account, AccountInfo};
use serde::Serialize;
use std::collections::BTreeMap;

/// An account's balance, nonce and code after the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AccountState {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Keccak of the code (`KECCAK_EMPTY` without code).
    pub code_hash: B256,
}

impl AccountState {
    /// An account that does not exist, or is empty (EIP-161): no balance, nonce or code.
    pub const EMPTY: Self = Self {
        balance: U256::ZERO,
        nonce: 0,
        code_hash: KECCAK_EMPTY,
    };
}

impl From<&AccountInfo> for AccountState {
    fn from(info: &AccountInfo) -> Self {
        Self {
            balance: info.balance,
            nonce: info.nonce,
            code_hash: info.code_hash,
        }
    }
}

/// How the block changed one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountChange {
    /// The account after the block, `None` when it does not exist (destroyed, or an empty account
    /// deleted by EIP-161).
    pub account: Option<AccountState>,
    /// The account's storage was wiped (self-destruct, deletion or re-creation); `storage` then
    /// holds every non-zero slot it has after the block.
    pub storage_cleared: bool,
    /// Slots whose value after the block differs from before it (or, when cleared, every
    /// non-zero slot).
    pub storage: BTreeMap<U256, U256>,
}

/// Every account the block changed, by address. Equal for two executions exactly when they
/// leave the same state behind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PostState {
    /// Changed accounts.
    pub accounts: BTreeMap<Address, AccountChange>,
}

impl PostState {
    /// Sorted first, the map is built in one pass instead of by thousands of inserts.
    fn from_changes(mut accounts: Vec<(Address, AccountChange)>) -> Self {
        accounts.sort_unstable_by_key(|(address, _)| *address);
        Self {
            accounts: accounts.into_iter().collect(),
        }
    }
}

/// What the commits so far left in one account (absolute values, not yet compared with the
/// pre-state).
#[derive(Clone, Debug, Default)]
pub struct Touched {
    /// The account now, `None` when it does not exist.
    pub account: Option<AccountState>,
    /// Its storage was wiped at some point: slots not in `storage` are zero.
    pub storage_cleared: bool,
    /// Slots written, with their current values.
    pub storage: HashMap<U256, U256>,
}

/// Accumulates committed revm state changes, in commit order, into a [`PostState`].
///
/// The rules follow revm's journal: a self-destructed account is gone with its storage; a
/// touched account that is empty and was not created in the transaction is deleted (EIP-161;
/// before Spurious Dragon revm clears the touch or marks the account created instead).
#[derive(Clone, Debug, Default)]
pub struct PostStateBuilder {
    touched: AddressMap<Touched>,
}

impl PostStateBuilder {
    /// What the commits so far left in `address`, if any touched it.
    pub fn get(&self, address: &Address) -> Option<&Touched> {
        self.touched.get(address)
    }

    /// Records one commit.
    pub fn apply<'a>(&mut self, changes: impl IntoIterator<Item = (&'a Address, &'a Account)>) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            let entry = self.touched.entry(*address).or_default();
            let deleted =
                account.is_selfdestructed() || (account.is_empty() && !account.is_created());
            if deleted {
                *entry = Touched {
                    account: None,
                    storage_cleared: true,
                    storage: HashMap::default(),
                };
                continue;
            }
            if account.is_created() {
                entry.storage_cleared = true;
                entry.storage.clear();
            }
            entry.account = Some(AccountState::from(&account.info));
            for (slot, value) in account.changed_storage_slots() {
                entry.storage.insert(*slot, value.present_value());
            }
        }
    }

    /// Compares what was recorded with the pre-state and keeps only real changes.
    pub fn finish(&self, pre_db: &PreStateDb<'_>) -> PostState {
        let mut accounts = Vec::with_capacity(self.touched.len());
        accounts.extend(
            self.touched
                .iter()
                .filter_map(|(address, touched)| change(pre_db, address, touched)),
        );
        PostState::from_changes(accounts)
    }

    /// [`Self::finish`], account by account on the current rayon pool (the parallel runtime's
    /// last step; thousands of accounts take milliseconds).
    pub fn finish_parallel(&self, pre_db: &PreStateDb<'_>) -> PostState {
        let touched: Vec<(&Address, &Touched)> = self.touched.iter().collect();
        let accounts = touched
            .par_iter()
            .filter_map(|(address, touched)| change(pre_db, address, touched))
            .collect();
        PostState::from_changes(accounts)
    }
}

/// What a touched account really changed against the pre-state, if anything.
fn change(
    pre_db: &PreStateDb<'_>,
    address: &Address,
    touched: &Touched,
) -> Option<(Address, AccountChange)> {
    let pre_state = pre_db.account(address).map(AccountState::from);
    let storage: BTreeMap<U256, U256> = if touched.storage_cleared {
        touched
            .storage
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(k, v)| (*k, *v))
            .collect()
    } else {
        touched
            .storage
            .iter()
            .filter(|(k, v)| pre_db.slot(address, k) != **v)
            .map(|(k, v)| (*k, *v))
            .collect()
    };
    let storage_cleared = touched.storage_cleared
        && pre_db
            .prestate()
            .account(address)
            .is_some_and(|a| a.storage.values().any(|v| !v.is_zero()));
    if touched.account == pre_state && !storage_cleared && storage.is_empty() {
        return None;
    }
    let change = AccountChange {
        account: touched.account,
        storage_cleared,
        storage,
    };
    Some((*address, change))
}
