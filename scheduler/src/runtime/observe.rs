//! Speculative execution at revm's full speed: no inspector, only a handful of opcodes wrapped
//! to note which balances a transaction's execution depended on.
//!
//! Every value a transaction reads from the database is in revm's post-transaction state (the
//! account as loaded, each slot's original value), so validation compares those with the
//! committed state. Balances are the exception: a credit loads the account without looking at
//! its balance, and such credits commute (DESIGN.md, "Commutative increments"). So a balance is
//! compared only where execution really looked at it:
//! - `BALANCE`, `SELFBALANCE`, and the sender of a value transfer (`CALL`/`CALLCODE`/`CREATE*`
//!   with value; it must have enough) or of a `SELFDESTRUCT`: the balance itself;
//! - a `CALL` or `SELFDESTRUCT` target (new-account gas) and `EXTCODEHASH` (zero for an empty
//!   account): only whether the account is alive (exists, and before Spurious Dragon that is
//!   all; from it on, is not empty).
//!
//! The transaction's sender, EIP-7702 authorities and accounts the transaction creates or
//! destroys are compared whole by the validator. A nonce is compared where execution depends on
//! it: the sender's, a creator's (`CREATE`/`CREATE2`, noted here) and a create target's.

use super::state::{CommittedState, Layer, Layered, account_info};
use crate::exec::{AccountState, BlockContext, DbError, PreRef};
use alloy_evm::eth::{EthEvm, EthEvmBuilder, EthEvmContext};
use alloy_evm::precompiles::PrecompilesMap;
use alloy_primitives::{Address, B256, U256, map::B256Map};
use crossbeam_utils::sync::ShardedLock;
use revm::bytecode::Bytecode;
use revm::bytecode::opcode::{
    BALANCE, CALL, CALLCODE, CREATE, CREATE2, EXTCODEHASH, SELFBALANCE, SELFDESTRUCT,
};
use revm::interpreter::instructions::utility::IntoAddress;
use revm::interpreter::instructions::{contract, host};
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_types::InputsTr;
use revm::interpreter::{InstructionContext, InstructionExecResult};
use revm::state::AccountInfo;
use revm::{Database, DatabaseRef};
use std::sync::{Arc, PoisonError};

/// Accounts whose balance, or only liveness, one execution depended on.
#[derive(Debug, Default)]
pub(super) struct Observed {
    /// Balance compared exactly.
    pub(super) balances: Vec<Address>,
    /// Only whether the account is alive.
    pub(super) liveness: Vec<Address>,
    /// Nonce compared exactly: creators (the address of what they create).
    pub(super) nonces: Vec<Address>,
}

impl Observed {
    /// Forgets everything, before the next execution.
    pub(super) fn clear(&mut self) {
        self.balances.clear();
        self.liveness.clear();
        self.nonces.clear();
    }
}

/// A database that collects [`Observed`] accounts for the wrapped opcodes.
pub(super) trait Observe {
    /// Where the current execution's observations go.
    fn observed(&mut self) -> &mut Observed;
}

/// What one execution reads.
#[derive(Debug)]
pub(super) enum Reads {
    /// The pre-block state only, without taking the lock: for a transaction predicted to
    /// depend on no earlier one, the committed state holds nothing it reads but what the
    /// prediction missed, and the validator catches that.
    PreBlock,
    /// The committed state under the changes of runs not committed yet that the transaction
    /// is expected to depend on, latest last.
    Committed(Vec<Arc<Layer>>),
}

/// One worker's database: the committed state, read under its lock, so a transaction sees
/// whatever is committed when it reads (the validator checks every value it saw), or only the
/// pre-block state ([`Reads`]).
#[derive(Debug)]
pub(super) struct LiveDb<'s, 'a> {
    state: &'s ShardedLock<CommittedState<'a>>,
    base: PreRef<'a>,
    pre_block: bool,
    layers: Vec<Arc<Layer>>,
    /// The running transaction's sender and the nonce the transaction carries, which it is
    /// read with (see [`Self::set_sender`]).
    sender: Option<(Address, u64)>,
    observed: Observed,
    /// This worker's own copies of the code it ran ([`own_copy`]), by hash.
    codes: B256Map<Bytecode>,
}

impl<'s, 'a> LiveDb<'s, 'a> {
    /// A reader of `state`.
    pub(super) fn new(state: &'s ShardedLock<CommittedState<'a>>) -> Self {
        let base = state.read().unwrap_or_else(PoisonError::into_inner).base();
        Self {
            state,
            base,
            pre_block: false,
            layers: Vec::new(),
            sender: None,
            observed: Observed::default(),
            codes: B256Map::default(),
        }
    }

    /// What the next execution reads.
    pub(super) fn set_reads(&mut self, reads: Reads) {
        (self.pre_block, self.layers) = match reads {
            Reads::PreBlock => (true, Vec::new()),
            Reads::Committed(layers) => (false, layers),
        };
    }

    /// Reads `sender`'s nonce as `nonce` (the one its transaction carries) in the next
    /// execution, or nothing special with `None`. A speculative run of a sender's next
    /// transaction then need not wait for its last one to commit: the validator compares the
    /// nonce it saw with the committed one like any other.
    pub(super) fn set_sender(&mut self, sender: Option<(Address, u64)>) {
        self.sender = sender;
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Layered<'_, '_, 'a>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let committed = loop {
            match self.state.try_read() {
                Ok(guard) => break guard,
                Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => std::hint::spin_loop(),
            }
        };
        f(&Layered {
            layers: &self.layers,
            committed: &committed,
        })
    }
}

impl Observe for LiveDb<'_, '_> {
    fn observed(&mut self) -> &mut Observed {
        &mut self.observed
    }
}

impl Database for LiveDb<'_, '_> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        let account = if self.pre_block {
            self.base.get().account(&address).map(AccountState::from)
        } else {
            self.read(|s| Ok(s.account(&address)))?
        };
        let account = match (account, self.sender) {
            (Some(mut account), Some((sender, nonce))) if sender == address => {
                account.nonce = nonce;
                Some(account)
            }
            (account, _) => account,
        };
        account_info(account, |hash| self.code_by_hash(hash))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        if let Some(code) = self.codes.get(&code_hash) {
            return Ok(code.clone());
        }
        let shared = self.read(|s| s.code_by_hash_ref(code_hash))?;
        let own = own_copy(&shared);
        self.codes.insert(code_hash, own.clone());
        Ok(own)
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, DbError> {
        if self.pre_block {
            return Ok(self.base.get().slot(&address, &index));
        }
        self.read(|s| s.storage_ref(address, index))
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        self.read(|s| s.block_hash_ref(number))
    }
}

/// A copy of `code` with its own reference count: every call frame clones the code it runs,
/// and two workers cloning one shared copy of a hot contract fight over that count's cache
/// line at every call.
fn own_copy(code: &Bytecode) -> Bytecode {
    match code.legacy_jump_table() {
        // SAFETY: the padded bytes, length and jump table of code revm analysed itself.
        Some(jumps) if !code.bytecode().is_empty() && jumps.len() >= code.len() => unsafe {
            Bytecode::new_analyzed(code.bytecode().clone(), code.len(), jumps.clone())
        },
        _ => Bytecode::new_raw_checked(code.original_bytes())
            .unwrap_or_else(|_| Bytecode::new_legacy(code.original_bytes())),
    }
}

/// An EVM for `ctx`'s block over `db`, without inspector, whose balance-observing opcodes
/// report to `db` (see the module documentation).
pub(super) fn observing_evm<DB>(
    ctx: &BlockContext,
    db: DB,
) -> EthEvm<DB, revm::inspector::NoOpInspector, PrecompilesMap>
where
    DB: alloy_evm::Database + Observe,
{
    let mut inner = EthEvmBuilder::new(db, ctx.evm_env.clone())
        .build()
        .into_inner();
    let table = inner.instruction.instruction_table_mut();
    table[usize::from(BALANCE)] = revm::interpreter::Instruction::new(balance::<DB>);
    table[usize::from(SELFBALANCE)] = revm::interpreter::Instruction::new(selfbalance::<DB>);
    table[usize::from(EXTCODEHASH)] = revm::interpreter::Instruction::new(extcodehash::<DB>);
    table[usize::from(CALL)] = revm::interpreter::Instruction::new(call::<DB>);
    table[usize::from(CALLCODE)] = revm::interpreter::Instruction::new(callcode::<DB>);
    table[usize::from(CREATE)] = revm::interpreter::Instruction::new(create::<DB, false>);
    table[usize::from(CREATE2)] = revm::interpreter::Instruction::new(create::<DB, true>);
    table[usize::from(SELFDESTRUCT)] = revm::interpreter::Instruction::new(selfdestruct::<DB>);
    EthEvm::new(inner, false)
}

type Ictx<'c, DB> = InstructionContext<'c, EthEvmContext<DB>, EthInterpreter>;

fn observed<'c, DB: alloy_evm::Database + Observe>(c: &'c mut Ictx<'_, DB>) -> &'c mut Observed {
    c.host.journaled_state.database.observed()
}

/// The address `n` items below the stack's top, if there is one (an underflow fails the
/// instruction anyway).
fn address_at<DB: alloy_evm::Database>(c: &Ictx<'_, DB>, n: usize) -> Option<Address> {
    c.interpreter
        .stack
        .peek(n)
        .ok()
        .map(IntoAddress::into_address)
}

/// Whether the stack item `n` below the top is non-zero.
fn nonzero_at<DB: alloy_evm::Database>(c: &Ictx<'_, DB>, n: usize) -> bool {
    c.interpreter.stack.peek(n).is_ok_and(|v| !v.is_zero())
}

fn balance<DB: alloy_evm::Database + Observe>(mut c: Ictx<'_, DB>) -> InstructionExecResult {
    if let Some(address) = address_at(&c, 0) {
        observed(&mut c).balances.push(address);
    }
    host::balance(c)
}

fn selfbalance<DB: alloy_evm::Database + Observe>(mut c: Ictx<'_, DB>) -> InstructionExecResult {
    let me = c.interpreter.input.target_address();
    observed(&mut c).balances.push(me);
    host::selfbalance(c)
}

fn extcodehash<DB: alloy_evm::Database + Observe>(mut c: Ictx<'_, DB>) -> InstructionExecResult {
    if let Some(address) = address_at(&c, 0) {
        observed(&mut c).liveness.push(address);
    }
    host::extcodehash(c)
}

/// `CALL`: gas, address, value, ...
fn call<DB: alloy_evm::Database + Observe>(mut c: Ictx<'_, DB>) -> InstructionExecResult {
    let me = c.interpreter.input.target_address();
    let target = address_at(&c, 1);
    let value = nonzero_at(&c, 2);
    let seen = observed(&mut c);
    if let Some(target) = target {
        seen.liveness.push(target);
    }
    if value {
        seen.balances.push(me);
    }
    contract::call::<CALL, _, _>(c)
}

/// `CALLCODE`: a value "transfer" to itself still needs the balance.
fn callcode<DB: alloy_evm::Database + Observe>(mut c: Ictx<'_, DB>) -> InstructionExecResult {
    if nonzero_at(&c, 2) {
        let me = c.interpreter.input.target_address();
        observed(&mut c).balances.push(me);
    }
    contract::call::<CALLCODE, _, _>(c)
}

/// `CREATE`/`CREATE2`: value first. The creator's nonce, even if a revert undoes its bump.
fn create<DB: alloy_evm::Database + Observe, const IS_CREATE2: bool>(
    mut c: Ictx<'_, DB>,
) -> InstructionExecResult {
    let me = c.interpreter.input.target_address();
    let value = nonzero_at(&c, 0);
    let seen = observed(&mut c);
    seen.nonces.push(me);
    if value {
        seen.balances.push(me);
    }
    contract::create::<IS_CREATE2, _, _>(c)
}

fn selfdestruct<DB: alloy_evm::Database + Observe>(mut c: Ictx<'_, DB>) -> InstructionExecResult {
    let me = c.interpreter.input.target_address();
    let target = address_at(&c, 0);
    let seen = observed(&mut c);
    seen.balances.push(me);
    if let Some(target) = target {
        seen.liveness.push(target);
    }
    host::selfdestruct(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;

    #[test]
    fn a_workers_copy_of_code_is_the_same_code() {
        let codes = [
            Bytecode::default(),
            // PUSH1 4, JUMP, STOP, JUMPDEST, STOP: one valid jump destination.
            Bytecode::new_legacy(Bytes::from_static(&[0x60, 0x04, 0x56, 0x00, 0x5b, 0x00])),
            // A PUSH32 cut short: the analysed code is padded past its end.
            Bytecode::new_legacy(Bytes::from_static(&[0x7f, 0x01])),
            Bytecode::new_eip7702(Address::repeat_byte(7)),
            // A malformed delegation designator stays plain code.
            Bytecode::new_legacy(Bytes::from_static(&[0xef, 0x01, 0x00, 0xaa])),
        ];
        for code in codes {
            let copy = own_copy(&code);
            assert_eq!(copy.kind(), code.kind());
            assert_eq!(copy.original_byte_slice(), code.original_byte_slice());
            assert_eq!(copy.bytecode(), code.bytecode(), "the same padded bytes");
            assert_eq!(copy.legacy_jump_table(), code.legacy_jump_table());
            assert_eq!(copy.hash_slow(), code.hash_slow());
        }
    }
}
