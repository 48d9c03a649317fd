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
        Self::from_sorted(accounts)
    }

    fn from_sorted(accounts: Vec<(Address, AccountChange)>) -> Self {
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

    /// Adds `later`'s commits, as if they had followed these, leaving it empty.
    pub fn absorb(&mut self, later: &mut PostStateBuilder) {
        for (address, touched) in later.touched.drain() {
            // A wipe in `later` decides the whole account; otherwise its fields and slots
            // override these.
            if touched.storage_cleared {
                self.touched.insert(address, touched);
                continue;
            }
            let entry = self.touched.entry(address).or_default();
            entry.account = touched.account;
            entry.storage.extend(touched.storage);
        }
    }

    /// Compares what was recorded with the pre-state and keeps only real changes.
    pub fn finish(&self, pre_db: &PreStateDb<'_>) -> PostState {
        let mut accounts = Vec::with_capacity(self.touched.len());
        accounts.extend(
            self.touched
                .iter()
                .filter_map(|(address, touched)| change(pre_db, address, touched, false)),
        );
        PostState::from_changes(accounts)
    }

    /// [`Self::finish`], account by account on the current rayon pool (the parallel runtime's
    /// last step; thousands of accounts take milliseconds).
    pub fn finish_parallel(&self, pre_db: &PreStateDb<'_>) -> PostState {
        let touched: Vec<(&Address, &Touched)> = self.touched.iter().collect();
        let mut accounts: Vec<(Address, AccountChange)> = touched
            .par_iter()
            .with_min_len(64)
            .filter_map(|(address, touched)| change(pre_db, address, touched, true))
            .collect();
        accounts.par_sort_unstable_by_key(|(address, _)| *address);
        PostState::from_sorted(accounts)
    }
}

/// Slots of one account above which [`change`] compares them on the rayon pool.
const PARALLEL_SLOTS: usize = 1024;

/// What a touched account really changed against the pre-state, if anything (`parallel`: a
/// large storage is compared on the current rayon pool).
fn change(
    pre_db: &PreStateDb<'_>,
    address: &Address,
    touched: &Touched,
    parallel: bool,
) -> Option<(Address, AccountChange)> {
    let pre_state = pre_db.account(address).map(AccountState::from);
    let storage: BTreeMap<U256, U256> = if touched.storage_cleared {
        touched
            .storage
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(k, v)| (*k, *v))
            .collect()
    } else if parallel && touched.storage.len() >= PARALLEL_SLOTS {
        // A hot contract's thousands of slots would otherwise keep one thread busy alone.
        let slots: Vec<(&U256, &U256)> = touched.storage.iter().collect();
        let mut changed: Vec<(U256, U256)> = slots
            .par_iter()
            .with_min_len(256)
            .filter(|(k, v)| pre_db.slot(address, k) != **v)
            .map(|(k, v)| (**k, **v))
            .collect();
        changed.sort_unstable_by_key(|(k, _)| *k);
        changed.into_iter().collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use revm::state::{EvmStorageSlot, TransactionId};

    const A: Address = Address::repeat_byte(0xaa);
    const B: Address = Address::repeat_byte(0xbb);

    /// One commit: `address` left with `balance`, nonce 1 and `slots` (original 7 each).
    fn commit(
        address: Address,
        balance: u64,
        slots: &[(u64, u64)],
        mark: fn(&mut Account),
    ) -> AddressMap<Account> {
        let mut account = Account::from(AccountInfo {
            balance: U256::from(balance),
            nonce: 1,
            ..AccountInfo::default()
        });
        for &(slot, value) in slots {
            account.storage.insert(
                U256::from(slot),
                EvmStorageSlot::new_changed(U256::from(7), U256::from(value), TransactionId::ZERO),
            );
        }
        account.mark_touch();
        mark(&mut account);
        std::iter::once((address, account)).collect()
    }

    fn touched_only(_: &mut Account) {}

    /// Storage wiped, balance, and slots sorted: what a [`Touched`] says.
    type Seen = (bool, Option<u64>, Vec<(U256, U256)>);

    fn state(builder: &PostStateBuilder, address: Address) -> Option<Seen> {
        builder.get(&address).map(|t| {
            let mut slots: Vec<(U256, U256)> = t.storage.iter().map(|(k, v)| (*k, *v)).collect();
            slots.sort();
            (
                t.storage_cleared,
                t.account.map(|a| a.balance.to::<u64>()),
                slots,
            )
        })
    }

    #[test]
    fn absorbing_later_commits_equals_applying_them_in_order() {
        let commits = [
            commit(A, 1, &[(1, 10), (2, 20)], touched_only),
            commit(B, 5, &[(1, 11)], touched_only),
            // A is wiped and re-created with one slot: slot 2 must read zero afterwards.
            commit(A, 2, &[(3, 30)], Account::mark_created),
            commit(B, 6, &[(2, 12)], touched_only),
            commit(A, 3, &[(1, 40)], touched_only),
            // B is destroyed.
            commit(B, 0, &[], Account::mark_selfdestruct),
        ];
        for split in 0..=commits.len() {
            let mut in_order = PostStateBuilder::default();
            for c in &commits {
                in_order.apply(c);
            }
            let (before, after) = commits.split_at(split);
            let mut absorbed = PostStateBuilder::default();
            for c in before {
                absorbed.apply(c);
            }
            let mut later = PostStateBuilder::default();
            for c in after {
                later.apply(c);
            }
            absorbed.absorb(&mut later);
            assert!(
                later.touched.is_empty(),
                "absorb leaves the later commits empty"
            );
            for address in [A, B] {
                assert_eq!(
                    state(&absorbed, address),
                    state(&in_order, address),
                    "split at {split}, {address}"
                );
            }
        }
    }
}
