//! The state half of the recorder: changes derived from revm's post-transaction state.

use super::{ActualAccess, Recorder};
use lanes_analyzer::{Access, AccessSet, Location};
use revm::primitives::hardfork::SpecId;
use revm::state::{Account, EvmState};

impl Recorder {
    /// The transaction's actual access set, from the reads noted while it ran and `state`, the
    /// post-transaction state revm returned for it (`ResultAndState::state`), whose original
    /// values are the values at the start of the transaction.
    pub fn finish(&self, state: &EvmState) -> ActualAccess {
        ActualAccess {
            set: self.access_set(state),
            origins: self.origins.clone(),
            beneficiary: self.tx.map(|t| t.beneficiary),
        }
    }

    /// [`Self::finish`] without copying the slot origins.
    pub fn into_actual(self, state: &EvmState) -> ActualAccess {
        ActualAccess {
            set: self.access_set(state),
            beneficiary: self.tx.map(|t| t.beneficiary),
            origins: self.origins,
        }
    }

    fn access_set(&self, state: &EvmState) -> AccessSet {
        let mut set = AccessSet::default();
        for &(address, slot) in &self.storage_reads {
            set.insert(Location::storage(address, slot), Access::Read);
        }
        for &address in &self.balance_reads {
            set.insert(Location::balance(address), Access::Read);
        }
        for &address in &self.nonce_reads {
            set.insert(Location::nonce(address), Access::Read);
        }
        for &address in &self.code_reads {
            set.insert(Location::code(address), Access::Read);
        }
        if let Some(tx) = self.tx {
            set.insert(Location::balance(tx.sender), Access::Read);
            set.insert(Location::nonce(tx.sender), Access::Read);
            // The fee: an increment, which becomes a write if the balance was also read.
            set.insert(Location::balance(tx.beneficiary), Access::Increment);
        }
        let spurious_dragon = self
            .tx
            .is_none_or(|t| t.spec.is_enabled_in(SpecId::SPURIOUS_DRAGON));
        for (&address, account) in state {
            account_changes(&mut set, address, account, spurious_dragon);
        }
        set
    }
}

/// Adds what `account`'s post-state says changed.
fn account_changes(
    set: &mut AccessSet,
    address: alloy_primitives::Address,
    account: &Account,
    spurious_dragon: bool,
) {
    for (slot, value) in &account.storage {
        if value.is_changed() {
            set.insert(Location::storage(address, *slot), Access::Write);
        }
    }
    if !account.is_changed() && !account.is_touched() {
        return;
    }
    let original = account.original_info();
    let info = &account.info;
    if info.balance != original.balance {
        // Only a credit that was never read commutes; a debit always follows a read.
        let access = if info.balance > original.balance {
            Access::Increment
        } else {
            Access::Write
        };
        set.insert(Location::balance(address), access);
    }
    let destroyed = account.is_selfdestructed();
    if info.nonce != original.nonce || (destroyed && original.nonce != 0) {
        set.insert(Location::nonce(address), Access::Write);
    }
    let existed = !account.is_loaded_as_not_existing();
    // Existence changes: an account comes into being by a credit, or (EIP-161) a touched
    // empty account that existed is deleted at the end of the transaction.
    let appeared = !existed && account.is_touched() && !account.is_empty();
    let cleared = spurious_dragon && existed && account.is_touched() && account.is_empty();
    if info.code_hash != original.code_hash
        || account.is_created()
        || destroyed
        || appeared
        || cleared
    {
        set.insert(Location::code(address), Access::Write);
    }
}
