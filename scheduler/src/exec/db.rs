//! In-memory databases over a block's pre-state.

use super::post::{PostState, PostStateBuilder};
use alloy_primitives::{
    Address, B256, U256, keccak256, map::AddressMap, map::B256Map, map::HashMap,
};
use lanes_analyzer::{BlockInput, PreAccount, PreState};
use rayon::prelude::*;
use revm::bytecode::Bytecode;
use revm::database::CacheDB;
use revm::database_interface::DBErrorMarker;
use revm::primitives::KECCAK_EMPTY;
use revm::state::{Account, AccountInfo};
use revm::{Database, DatabaseCommit, DatabaseRef};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why the pre-state could not answer a lookup.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// BLOCKHASH asked for a block the input does not provide. revm only asks for the 256 most
    /// recent blocks; any hash it asks for is needed, and a made-up one would silently change
    /// the result, so this is an error.
    #[error(
        "BLOCKHASH({number}) is needed but block_hashes.json does not have it (nor is it the parent)"
    )]
    MissingBlockHash {
        /// The block number looked up.
        number: u64,
    },
    /// Code was asked for by a hash no account has.
    #[error("no code with hash {0}")]
    UnknownCode(B256),
}

impl DBErrorMarker for DbError {}

/// A read-only revm database over a block's pre-state: listed accounts exist (even when empty),
/// absent ones do not; unlisted slots are zero; block hashes come from the input.
///
/// It is `Sync` and implements `DatabaseRef`, so `&PreStateDb` can be shared across threads.
#[derive(Debug)]
pub struct PreStateDb<'a> {
    prestate: &'a PreState,
    block_hashes: &'a BTreeMap<u64, B256>,
    accounts: AddressMap<AccountInfo>,
    codes: B256Map<Bytecode>,
    /// Every listed slot, hashed: storage reads are the executor's most frequent lookup.
    storage: HashMap<(Address, U256), U256>,
}

impl<'a> PreStateDb<'a> {
    /// Indexes a block's pre-state (hashes and analyses every contract's code once).
    pub fn new(input: &'a BlockInput) -> Self {
        let accounts = input
            .prestate
            .accounts
            .iter()
            .map(|(address, account)| (*address, account_info(account)))
            .collect();
        Self::from_accounts(input, accounts)
    }

    /// [`Self::new`], hashing and analysing the code on the current rayon pool.
    pub fn new_parallel(input: &'a BlockInput) -> Self {
        let accounts: Vec<(&Address, &PreAccount)> = input.prestate.accounts.iter().collect();
        let accounts = accounts
            .par_iter()
            .map(|(address, account)| (**address, account_info(account)))
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        Self::from_accounts(input, accounts)
    }

    fn from_accounts(input: &'a BlockInput, accounts: AddressMap<AccountInfo>) -> Self {
        let mut codes = B256Map::default();
        for info in accounts.values() {
            if let Some(code) = &info.code
                && info.code_hash != KECCAK_EMPTY
            {
                codes.entry(info.code_hash).or_insert_with(|| code.clone());
            }
        }
        let storage = input
            .prestate
            .accounts
            .iter()
            .flat_map(|(address, account)| {
                account
                    .storage
                    .iter()
                    .map(move |(slot, value)| ((*address, *slot), *value))
            })
            .collect();
        Self {
            prestate: &input.prestate,
            block_hashes: &input.block_hashes,
            accounts,
            codes,
            storage,
        }
    }

    /// The pre-block state this database reads.
    pub fn prestate(&self) -> &'a PreState {
        self.prestate
    }

    /// A slot's value before the block (zero when not listed).
    pub fn slot(&self, address: &Address, slot: &U256) -> U256 {
        self.storage
            .get(&(*address, *slot))
            .copied()
            .unwrap_or_default()
    }

    /// The pre-block account info, `None` when the account did not exist.
    pub fn account(&self, address: &Address) -> Option<&AccountInfo> {
        self.accounts.get(address)
    }
}

/// revm's account info for a pre-state account (code hashed and analysed).
fn account_info(account: &PreAccount) -> AccountInfo {
    if account.code.is_empty() {
        return AccountInfo::new(
            account.balance,
            account.nonce,
            KECCAK_EMPTY,
            Bytecode::default(),
        );
    }
    let hash = keccak256(&account.code);
    // Malformed EIP-7702 designators stay plain bytes instead of panicking.
    let code = Bytecode::new_raw_checked(account.code.clone())
        .unwrap_or_else(|_| Bytecode::new_legacy(account.code.clone()));
    AccountInfo::new(account.balance, account.nonce, hash, code)
}

impl DatabaseRef for PreStateDb<'_> {
    type Error = DbError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        Ok(self.accounts.get(&address).cloned())
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, DbError> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        self.codes
            .get(&code_hash)
            .cloned()
            .ok_or(DbError::UnknownCode(code_hash))
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, DbError> {
        Ok(self.slot(&address, &index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, DbError> {
        self.block_hashes
            .get(&number)
            .copied()
            .ok_or(DbError::MissingBlockHash { number })
    }
}

/// A pre-state database, owned or shared (prepared once, executed over many times). It never
/// changes, so a clone is another handle on the same database (the parallel runtime's workers
/// each hold one and read it without a lock).
#[derive(Clone, Debug)]
pub enum PreRef<'a> {
    /// Owned by one execution (and the handles cloned from it).
    Owned(Arc<PreStateDb<'a>>),
    /// Shared with others.
    Shared(&'a PreStateDb<'a>),
}

impl<'a> PreRef<'a> {
    /// The pre-state database.
    pub fn get(&self) -> &PreStateDb<'a> {
        match self {
            Self::Owned(db) => db,
            Self::Shared(db) => db,
        }
    }
}

impl DatabaseRef for PreRef<'_> {
    type Error = DbError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        self.get().basic_ref(address)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, DbError> {
        self.get().code_by_hash_ref(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, DbError> {
        self.get().storage_ref(address, index)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, DbError> {
        self.get().block_hash_ref(number)
    }
}

/// The sequential executor's mutable state: revm's `CacheDB` over the pre-state, recording every
/// commit into a [`PostState`].
#[derive(Debug)]
pub struct InMemoryDb<'a> {
    cache: CacheDB<PreRef<'a>>,
    post: PostStateBuilder,
}

impl<'a> InMemoryDb<'a> {
    /// A fresh state equal to the block's pre-state.
    pub fn new(input: &'a BlockInput) -> Self {
        Self::with(PreRef::Owned(Arc::new(PreStateDb::new(input))))
    }

    /// A fresh state over an already prepared pre-state.
    pub fn over(pre: &'a PreStateDb<'a>) -> Self {
        Self::with(PreRef::Shared(pre))
    }

    fn with(pre: PreRef<'a>) -> Self {
        Self {
            cache: CacheDB::new(pre),
            post: PostStateBuilder::default(),
        }
    }

    /// Every account the commits so far changed, compared with the pre-state.
    pub fn post_state(&self) -> PostState {
        self.post.finish(self.cache.db.get())
    }
}

impl Database for InMemoryDb<'_> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        self.cache.basic(address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        self.cache.code_by_hash(code_hash)
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, DbError> {
        self.cache.storage(address, index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        self.cache.block_hash(number)
    }
}

impl DatabaseCommit for InMemoryDb<'_> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        self.post.apply(&changes);
        self.cache.commit(changes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;

    #[test]
    fn a_malformed_delegation_designator_is_plain_code_not_a_panic() {
        // EIP-7702's prefix 0xef0100 with two address bytes instead of twenty.
        let code = Bytes::from_static(&[0xef, 0x01, 0x00, 0xaa, 0xbb]);
        let account = PreAccount {
            code: code.clone(),
            ..PreAccount::default()
        };
        let info = account_info(&account);
        assert_eq!(info.code_hash, keccak256(&code));
        assert_eq!(
            info.code.map(|c| c.original_bytes()),
            Some(code),
            "the bytes are kept as they are"
        );
    }
}
