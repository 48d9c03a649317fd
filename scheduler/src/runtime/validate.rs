//! Validation by value: a speculative execution is the sequential one exactly when every value
//! it read equals the value the transactions before it left behind. Execution is a function of
//! the values read, so the same values mean the same reads, in the same order, and the same
//! result, however the committed state moved while it ran.
//!
//! Balances are the exception ([`super::observe`]): one the execution never looked at may
//! differ, since its change is committed as a delta; so may the caller's, as long as it
//! still covers the transaction's cost, and the nonce of an account whose nonce the execution
//! did not depend on.

use super::observe::Observed;
use super::state::Now;
use crate::exec::{AccountState, PreparedTx};
use alloy_primitives::{Address, U256};
use lanes_analyzer::Location;
use revm::context_interface::Transaction as _;
use revm::state::{Account, EvmState};

/// The locations whose value `state` (one execution of `tx`) read differs from the committed
/// one, sorted; empty when the execution can be committed. `spurious` says whether EIP-161
/// (Spurious Dragon) applies: before it, an account is alive when it exists, even empty.
/// `nows` receives each account's committed state, in `state`'s order, for [`Now::rebase`].
pub(super) fn stale_locations(
    committed: &impl Now,
    state: &mut EvmState,
    observed: &mut Observed,
    tx: &PreparedTx,
    spurious: bool,
    nows: &mut Vec<Option<AccountState>>,
) -> Vec<Location> {
    observed.balances.sort_unstable();
    observed.balances.dedup();
    observed.liveness.sort_unstable();
    observed.liveness.dedup();
    observed.nonces.sort_unstable();
    observed.nonces.dedup();
    // Compared whole, balance included: what the transaction creates or destroys, balances it
    // looked at, EIP-7702 authorities. The caller is compared whole too, except its balance.
    let whole = |address: &Address, account: &Account| {
        account.is_created()
            || account.is_selfdestructed()
            || observed.balances.binary_search(address).is_ok()
            || tx.authorities.contains(address)
    };
    let mut stale = Vec::new();
    for (address, account) in state {
        let seen = seen(account);
        let now = committed.account_now(address);
        nows.push(now);
        let (seen_or_empty, now_or_empty) = (
            seen.unwrap_or(AccountState::EMPTY),
            now.unwrap_or(AccountState::EMPTY),
        );
        let whole = whole(address, account);
        let strict = whole || *address == tx.env.caller;
        // Only the caller (against the transaction), a creator (for the address it creates)
        // and a create target (collision) read a nonce, besides emptiness (liveness, below):
        // an account the transaction only called or credited keeps its current nonce at
        // rebase, so the nonce of, say, a beneficiary sending its own transactions is no
        // conflict. A merely loaded account (a create target) is compared.
        let nonce_read = strict
            || !account.is_touched()
            || account.info.nonce != seen_or_empty.nonce
            || observed.nonces.binary_search(address).is_ok();
        if nonce_read && seen_or_empty.nonce != now_or_empty.nonce {
            stale.push(Location::nonce(*address));
        }
        if seen_or_empty.code_hash != now_or_empty.code_hash {
            stale.push(Location::code(*address));
        }
        if strict {
            if seen.is_some() != now.is_some() {
                stale.push(Location::code(*address));
            }
            if seen_or_empty.balance != now_or_empty.balance
                && (whole || !covers_cost(now_or_empty.balance, tx))
            {
                stale.push(Location::balance(*address));
            }
        } else if observed.liveness.binary_search(address).is_ok()
            && alive(seen, spurious) != alive(now, spurious)
        {
            stale.push(Location::code(*address));
        }
        for (slot, value) in &account.storage {
            let now = committed.slot_now(*address, *slot);
            if now.is_none_or(|now| now != value.original_value) {
                stale.push(Location::storage(*address, *slot));
            }
        }
    }
    stale.sort_unstable();
    stale.dedup();
    stale
}

/// Whether the caller's `balance` still passes the only check execution makes of it
/// (unless it read it, then it is observed): against the most the transaction may cost
/// (revm's `max_balance_spending`), which the run passed; the debit is the same whatever the
/// balance, so rebase commits it as a delta. So a transaction need not wait for credits to its
/// sender (a hot wallet receiving deposits, a beneficiary paid fees before it sends) nor for its
/// sender's earlier debits, as long as the balance still covers its cost.
pub(super) fn covers_cost(balance: U256, tx: &PreparedTx) -> bool {
    tx.env
        .max_balance_spending()
        .is_ok_and(|cost| balance >= cost)
}

/// The account as the execution loaded it, `None` when it did not exist.
fn seen(account: &mut Account) -> Option<AccountState> {
    if account.is_loaded_as_not_existing() {
        return None;
    }
    // Not `original_info()`: it clones the code, whose reference count other threads share.
    Some(AccountState::from(&*account.original_info_mut()))
}

/// Whether calls into it pay no new-account gas and `EXTCODEHASH` is not zero.
fn alive(account: Option<AccountState>, spurious: bool) -> bool {
    match account {
        None => false,
        Some(_) if !spurious => true,
        Some(a) => a != AccountState::EMPTY,
    }
}
