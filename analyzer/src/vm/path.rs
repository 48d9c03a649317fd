//! One execution path: a stack of call frames plus the state changes made along it.

use super::data::Data;
use super::value::Value;
use crate::location::{Access, Location};
use crate::state::ContractCode;
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, U256};
use std::sync::Arc;

/// What a frame is running.
#[derive(Clone, Debug)]
pub(crate) enum FrameKind {
    /// A message call; output goes to the caller's memory at `[ret_offset, ret_offset + ret_len)`.
    Call { ret_offset: usize, ret_len: usize },
    /// Init code of a new contract at the frame's address.
    Create,
}

/// Return data the current frame can see.
#[derive(Clone, Debug)]
pub(crate) enum ReturnData {
    /// Known length, possibly with abstract words.
    Known(Arc<Data>),
    /// Unknown length and content (an unknown call, a cut frame).
    Unknown,
}

/// One call frame.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub(crate) code: Arc<ContractCode>,
    /// Whose code runs (for reasons).
    pub(crate) code_address: Address,
    /// ADDRESS: whose storage and balance the frame uses.
    pub(crate) address: Address,
    pub(crate) caller: Address,
    pub(crate) value: Value,
    pub(crate) calldata: Arc<Data>,
    pub(crate) is_static: bool,
    pub(crate) kind: FrameKind,
    pub(crate) pc: usize,
    pub(crate) stack: Vec<Value>,
    pub(crate) memory: Data,
    pub(crate) returndata: ReturnData,
    /// Journal length and access count when the frame started (rolled back on revert).
    pub(crate) journal_mark: usize,
    pub(crate) access_mark: usize,
    /// The path's gas floor when the frame started: what its caller has surely spent.
    pub(crate) gas_mark: u64,
    /// Forks taken per branch site in this frame (bounds loops on unknown conditions); a site
    /// is a pc in the context of the return addresses on the stack, so that a shared internal
    /// function called from several places is not mistaken for a loop.
    pub(crate) forks: HashMap<u64, u32>,
}

/// An undoable change.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    Storage(Address, U256, Option<Value>),
    Transient(Address, U256, Option<Value>),
    Balance(Address, Option<Value>),
    Nonce(Address, Option<u64>),
    #[expect(
        clippy::option_option,
        reason = "absent entry vs. entry of unknown code"
    )]
    Code(Address, Option<Option<Arc<ContractCode>>>),
}

/// A path through the transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Path {
    pub(crate) frames: Vec<Frame>,
    /// Storage written on this path.
    pub(crate) storage: HashMap<(Address, U256), Value>,
    /// Transient storage written on this path.
    pub(crate) transient: HashMap<(Address, U256), Value>,
    /// Balances changed on this path (or made unknown).
    pub(crate) balances: HashMap<Address, Value>,
    /// Nonces changed on this path.
    pub(crate) nonces: HashMap<Address, u64>,
    /// Code deployed on this path (`None`: unknown code).
    pub(crate) codes: HashMap<Address, Option<Arc<ContractCode>>>,
    /// Storage written at an unknown slot (a whole contract, or one family): reads there are
    /// unknown.
    pub(crate) clobbered: Vec<(Address, Option<U256>)>,
    /// Transient storage written at an unknown slot.
    pub(crate) transient_clobbered: bool,
    pub(crate) journal: Vec<Change>,
    /// Accesses made on this path, kept apart so that a reverted frame's writes are undone.
    pub(crate) accesses: Vec<(Location, Access)>,
    /// A lower bound of the gas spent on this path: one per opcode, or its static cost.
    pub(crate) gas: u64,
    /// Opcodes interpreted on this path (before a fork, those of the path it forked from),
    /// plus the gas of the precompiles it called.
    pub(crate) work: u64,
}

impl Path {
    /// Records an access.
    #[inline]
    pub(crate) fn access(&mut self, location: Location, access: Access) {
        // A repeat of the last access adds nothing, reverted or not: both entries would be
        // kept, demoted or dropped alike.
        if self.accesses.last() != Some(&(location, access)) {
            self.accesses.push((location, access));
        }
    }

    /// Sets a storage value, journaled.
    pub(crate) fn set_storage(&mut self, address: Address, slot: U256, value: Value) {
        let old = self.storage.insert((address, slot), value);
        self.journal.push(Change::Storage(address, slot, old));
    }

    /// Sets a transient value, journaled.
    pub(crate) fn set_transient(&mut self, address: Address, slot: U256, value: Value) {
        let old = self.transient.insert((address, slot), value);
        self.journal.push(Change::Transient(address, slot, old));
    }

    /// Sets a balance, journaled.
    pub(crate) fn set_balance(&mut self, address: Address, value: Value) {
        let old = self.balances.insert(address, value);
        self.journal.push(Change::Balance(address, old));
    }

    /// Sets a nonce, journaled.
    pub(crate) fn set_nonce(&mut self, address: Address, nonce: u64) {
        let old = self.nonces.insert(address, nonce);
        self.journal.push(Change::Nonce(address, old));
    }

    /// Deploys code, journaled.
    pub(crate) fn set_code(&mut self, address: Address, code: Option<Arc<ContractCode>>) {
        let old = self.codes.insert(address, code);
        self.journal.push(Change::Code(address, old));
    }

    /// Undoes every change after `mark`, and turns the accesses after `access_mark` into what a
    /// reverted frame leaves: its reads (writes are read-before-written, credits vanish).
    pub(crate) fn revert_to(&mut self, mark: usize, access_mark: usize) {
        while self.journal.len() > mark {
            match self.journal.pop() {
                Some(Change::Storage(a, s, old)) => restore(&mut self.storage, (a, s), old),
                Some(Change::Transient(a, s, old)) => restore(&mut self.transient, (a, s), old),
                Some(Change::Balance(a, old)) => restore(&mut self.balances, a, old),
                Some(Change::Nonce(a, old)) => restore(&mut self.nonces, a, old),
                Some(Change::Code(a, old)) => restore(&mut self.codes, a, old),
                None => break,
            }
        }
        let tail = self
            .accesses
            .split_off(access_mark.min(self.accesses.len()));
        for (location, access) in tail {
            match access {
                Access::Read | Access::Write => self.accesses.push((location, Access::Read)),
                Access::Increment => {}
            }
        }
    }
}

fn restore<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, old: Option<V>) {
    match old {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}
