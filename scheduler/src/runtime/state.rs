//! The runtime's canonical state: the pre-state plus everything committed so far, readable by
//! many workers at once and written only by the committer.

use crate::exec::{
    AccountState, DbError, PostState, PostStateBuilder, PreRef, PreStateDb, Touched,
};
use alloy_primitives::{Address, B256, U256, map::AddressMap, map::B256Map};
use lanes_analyzer::BlockInput;
use revm::bytecode::Bytecode;
use revm::primitives::KECCAK_EMPTY;
use revm::state::{Account, AccountInfo, EvmState};
use revm::{Database, DatabaseCommit, DatabaseRef};
use std::sync::Arc;

/// Pre-state plus committed changes. `&CommittedState` is a `DatabaseRef` that rayon workers
/// share during a batch; commits happen between executions, in block order.
#[derive(Debug)]
pub struct CommittedState<'a> {
    base: PreRef<'a>,
    committed: Layer,
}

impl<'a> CommittedState<'a> {
    /// The block's pre-state, nothing committed (code hashed on the current rayon pool).
    pub fn new(input: &'a BlockInput) -> Self {
        Self::with(PreRef::Owned(Arc::new(PreStateDb::new_parallel(input))))
    }

    /// An already prepared pre-state, nothing committed.
    pub fn over(pre: &'a PreStateDb<'a>) -> Self {
        Self::with(PreRef::Shared(pre))
    }

    fn with(base: PreRef<'a>) -> Self {
        Self {
            base,
            committed: Layer::default(),
        }
    }

    /// The pre-state under the commits.
    pub(super) fn base(&self) -> PreRef<'a> {
        self.base.clone()
    }

    /// Every account the commits changed, compared with the pre-state.
    pub fn post_state(&self) -> PostState {
        self.committed.changes.finish_parallel(self.base.get())
    }

    /// Commits a transaction's state as revm returned it (its original values are this
    /// state's current values: sequential execution, system calls, re-executions).
    pub fn commit_exact(&mut self, state: &EvmState) {
        self.committed.apply(state);
    }

    /// Applies the commits the committer kept aside since the last call (they follow those
    /// already here), leaving `pending` empty.
    pub(super) fn absorb(&mut self, pending: &mut Layer) {
        self.committed.absorb(pending);
    }

    /// An account's balance, nonce and code hash now, `None` when it does not exist.
    pub fn account_now(&self, address: &Address) -> Option<AccountState> {
        match self.committed.touched(address) {
            Some(touched) => touched.account,
            None => self.base.get().account(address).map(AccountState::from),
        }
    }

    fn code_of(&self, hash: B256) -> Result<Bytecode, DbError> {
        match self.committed.code(&hash) {
            Some(code) => Ok(code.clone()),
            None => self.base.code_by_hash_ref(hash),
        }
    }
}

/// Changes over a state: the accounts and slots they leave (revm's journal rules, as
/// [`PostStateBuilder`] applies them) and the code they deploy. The committed state keeps one;
/// a speculative run not committed yet leaves one for later runs to read before the committed
/// state (its values are only a guess until then: the validator compares whatever a run read
/// with the committed state).
#[derive(Clone, Debug, Default)]
pub(super) struct Layer {
    changes: PostStateBuilder,
    codes: B256Map<Bytecode>,
}

impl Layer {
    /// The changes of one execution's `state`.
    pub(super) fn of(state: &EvmState) -> Self {
        let mut layer = Self::default();
        layer.apply(state);
        layer
    }

    /// Adds one execution's changes.
    pub(super) fn apply(&mut self, state: &EvmState) {
        self.changes.apply(state);
        for account in state.values().filter(|a| a.is_touched()) {
            let info = &account.info;
            if info.code_hash != KECCAK_EMPTY
                && let Some(code) = &info.code
            {
                self.codes
                    .entry(info.code_hash)
                    .or_insert_with(|| code.clone());
            }
        }
    }

    /// Adds `later`'s changes, as if its commits had followed these, leaving it empty.
    fn absorb(&mut self, later: &mut Layer) {
        self.changes.absorb(&mut later.changes);
        for (hash, code) in later.codes.drain() {
            self.codes.entry(hash).or_insert(code);
        }
    }

    /// The account as these changes leave it, if they touched it.
    fn touched(&self, address: &Address) -> Option<&Touched> {
        self.changes.get(address)
    }

    /// A slot as these changes leave it, `None` if they do not decide it.
    fn storage(&self, address: &Address, index: &U256) -> Option<U256> {
        let touched = self.changes.get(address)?;
        match touched.storage.get(index) {
            Some(value) => Some(*value),
            None => touched.storage_cleared.then_some(U256::ZERO),
        }
    }

    fn code(&self, hash: &B256) -> Option<&Bytecode> {
        self.codes.get(hash)
    }
}

/// An account as revm loads it, its code looked up by `code_of`.
pub(super) fn account_info(
    account: Option<AccountState>,
    code_of: impl FnOnce(B256) -> Result<Bytecode, DbError>,
) -> Result<Option<AccountInfo>, DbError> {
    let Some(account) = account else {
        return Ok(None);
    };
    let code = code_of(account.code_hash)?;
    Ok(Some(AccountInfo::new(
        account.balance,
        account.nonce,
        account.code_hash,
        code,
    )))
}

/// The state a commit validates against and rebases onto: the committed prefix.
pub(super) trait Now {
    /// An account's balance, nonce and code hash now, `None` when it does not exist.
    fn account_now(&self, address: &Address) -> Option<AccountState>;

    /// A slot's value now, `None` when it cannot be read.
    fn slot_now(&self, address: Address, slot: U256) -> Option<U256>;

    /// Turns the state of a transaction executed against an older snapshot, whose reads
    /// nobody has written since (validated), into changes to commit over this state: balance
    /// changes become deltas on the current balances (so fee payments and other credits
    /// commute with earlier credits), and fields it did not change keep their current values.
    /// `nows` are the accounts' current states in `state`'s order, as the validator looked
    /// them up (looked up again where missing).
    fn rebase(&self, state: &mut EvmState, nows: &[Option<AccountState>]) {
        for (i, (address, account)) in state.iter_mut().enumerate() {
            // Created and destroyed accounts are written whole (both read the account).
            if !account.is_touched() || account.is_created() || account.is_selfdestructed() {
                continue;
            }
            let current = match nows.get(i) {
                Some(now) => *now,
                None => self.account_now(address),
            }
            .unwrap_or(AccountState::EMPTY);
            let original = account.original_info_mut();
            let (balance, nonce, code_hash) =
                (original.balance, original.nonce, original.code_hash);
            let info = &mut account.info;
            info.balance = current
                .balance
                .wrapping_add(info.balance)
                .wrapping_sub(balance);
            if info.nonce == nonce {
                info.nonce = current.nonce;
            }
            if info.code_hash == code_hash {
                // Unchanged code: only the hash is committed; the code is already known.
                info.code_hash = current.code_hash;
                info.code = None;
            }
        }
    }
}

impl Now for CommittedState<'_> {
    fn account_now(&self, address: &Address) -> Option<AccountState> {
        CommittedState::account_now(self, address)
    }

    fn slot_now(&self, address: Address, slot: U256) -> Option<U256> {
        self.storage_ref(address, slot).ok()
    }
}

impl Now for Layered<'_, '_, '_> {
    fn account_now(&self, address: &Address) -> Option<AccountState> {
        self.account(address)
    }

    fn slot_now(&self, address: Address, slot: U256) -> Option<U256> {
        self.storage_ref(address, slot).ok()
    }
}

/// Reads through `layers` (latest last) to `committed`.
pub(super) struct Layered<'l, 's, 'a> {
    pub(super) layers: &'l [Arc<Layer>],
    pub(super) committed: &'s CommittedState<'a>,
}

impl Layered<'_, '_, '_> {
    /// An account's balance, nonce and code hash as these layers and the committed state
    /// leave it, `None` when it does not exist.
    pub(super) fn account(&self, address: &Address) -> Option<AccountState> {
        match self.layers.iter().rev().find_map(|l| l.touched(address)) {
            Some(touched) => touched.account,
            None => self.committed.account_now(address),
        }
    }

    fn code_of(&self, hash: B256) -> Result<Bytecode, DbError> {
        match self.layers.iter().rev().find_map(|layer| layer.code(&hash)) {
            Some(code) => Ok(code.clone()),
            None => self.committed.code_of(hash),
        }
    }
}

impl DatabaseRef for Layered<'_, '_, '_> {
    type Error = DbError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        account_info(self.account(&address), |hash| self.code_of(hash))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, DbError> {
        self.code_of(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, DbError> {
        match self
            .layers
            .iter()
            .rev()
            .find_map(|l| l.storage(&address, &index))
        {
            Some(value) => Ok(value),
            None => self.committed.storage_ref(address, index),
        }
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, DbError> {
        self.committed.block_hash_ref(number)
    }
}

impl DatabaseRef for CommittedState<'_> {
    type Error = DbError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        match self.committed.touched(&address) {
            Some(touched) => account_info(touched.account, |hash| self.code_of(hash)),
            None => self.base.basic_ref(address),
        }
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, DbError> {
        self.code_of(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, DbError> {
        match self.committed.storage(&address, &index) {
            Some(value) => Ok(value),
            None => self.base.storage_ref(address, index),
        }
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, DbError> {
        self.base.block_hash_ref(number)
    }
}

/// `&mut CommittedState` as a `revm::Database` + `DatabaseCommit`, for the system calls and
/// post-block changes, which run alone.
#[derive(Debug)]
pub struct Exclusive<'s, 'a>(pub &'s mut CommittedState<'a>);

impl Database for Exclusive<'_, '_> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        self.0.basic_ref(address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        self.0.code_by_hash_ref(code_hash)
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, DbError> {
        self.0.storage_ref(address, index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        self.0.block_hash_ref(number)
    }
}

impl DatabaseCommit for Exclusive<'_, '_> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        self.0.commit_exact(&changes);
    }
}
