//! A read-only view of the pre-block state, and analysed contract code.

use crate::input::PreState;
use crate::jumps::starts_opcode;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256, map::AddressMap};
use revm::bytecode::{Bytecode, JumpTable, opcode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Contract code with its jump destinations and what it can reach beyond its own storage.
#[derive(Debug)]
pub struct ContractCode {
    /// The code as deployed (reads past the end are STOPs and zeros).
    code: Bytes,
    /// JUMPDEST bytes decided so far, and whether each is valid (shared by the threads).
    decided: OnceLock<Box<[AtomicU64]>>,
    /// revm's jump table, for targets the bytes before them do not decide (rare).
    jumps: OnceLock<JumpTable>,
    /// keccak256 of the code (EXTCODEHASH), computed on first use.
    hash: OnceLock<B256>,
    /// Whether any opcode can touch another account (calls, creates, BALANCE, EXTCODE*,
    /// SELFDESTRUCT), and whether any writes storage; computed on first use.
    reach: OnceLock<(bool, bool)>,
}

impl ContractCode {
    /// Wraps raw legacy bytecode; nothing is analysed yet.
    pub fn new(raw: Bytes) -> Self {
        Self {
            code: raw,
            decided: OnceLock::new(),
            jumps: OnceLock::new(),
            hash: OnceLock::new(),
            reach: OnceLock::new(),
        }
    }

    /// Scans the code for opcodes that reach other accounts or write storage.
    fn scan(&self) -> (bool, bool) {
        let (mut reaches_out, mut writes_storage) = (false, false);
        let mut pc = 0;
        while let Some(&op) = self.code.get(pc) {
            match op {
                opcode::CALL
                | opcode::CALLCODE
                | opcode::DELEGATECALL
                | opcode::STATICCALL
                | opcode::CREATE
                | opcode::CREATE2
                | opcode::SELFDESTRUCT
                | opcode::BALANCE
                | opcode::EXTCODESIZE
                | opcode::EXTCODECOPY
                | opcode::EXTCODEHASH => reaches_out = true,
                opcode::SSTORE => writes_storage = true,
                _ => {}
            }
            pc += 1 + push_len(op);
        }
        (reaches_out, writes_storage)
    }

    /// The code bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.code
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Whether there is no code.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// Whether `pc` is a valid jump destination.
    #[inline]
    pub(crate) fn is_jumpdest(&self, pc: usize) -> bool {
        if self.code.get(pc) != Some(&opcode::JUMPDEST) {
            return false;
        }
        // Two bits per byte: decided, and valid.
        if let Some(bits) = self.decided.get() {
            let known = bits[pc / 32].load(Ordering::Relaxed) >> (2 * (pc % 32));
            if known & 1 != 0 {
                return known & 2 != 0;
            }
        }
        self.decide(pc)
    }

    /// Decides a JUMPDEST byte not decided yet (once per target and block: kept out of line,
    /// so that the jumps that follow inline only the lookup).
    #[cold]
    #[inline(never)]
    fn decide(&self, pc: usize) -> bool {
        let bits = self.decided.get_or_init(|| {
            std::iter::repeat_with(AtomicU64::default)
                .take(self.code.len().div_ceil(32))
                .collect()
        });
        let valid = starts_opcode(&self.code, pc).unwrap_or_else(|| {
            self.jumps
                .get_or_init(|| {
                    Bytecode::new_legacy(self.code.clone())
                        .legacy_jump_table()
                        .cloned()
                        .unwrap_or_default()
                })
                .is_valid(pc)
        });
        bits[pc / 32].fetch_or(
            (1 | u64::from(valid) << 1) << (2 * (pc % 32)),
            Ordering::Relaxed,
        );
        valid
    }

    /// keccak256 of the code.
    pub fn hash(&self) -> B256 {
        *self.hash.get_or_init(|| keccak256(&self.code))
    }

    /// Whether the code can touch accounts other than its own storage.
    pub(crate) fn reaches_out(&self) -> bool {
        self.reach.get_or_init(|| self.scan()).0
    }

    /// Whether the code contains SSTORE.
    pub(crate) fn writes_storage(&self) -> bool {
        self.reach.get_or_init(|| self.scan()).1
    }
}

/// The number of immediate bytes after `op`.
pub(crate) const fn push_len(op: u8) -> usize {
    if op >= opcode::PUSH1 && op <= opcode::PUSH32 {
        (op - opcode::PUSH1 + 1) as usize
    } else {
        0
    }
}

/// What the analyzer may know of the pre-block state. `None` means "not known": the analyzer
/// then treats the value as abstract.
pub trait StateView: Sync {
    /// Whether the account existed before the block (`None`: unknown).
    fn exists(&self, address: &Address) -> Option<bool>;
    /// The account's analysed code (`None`: no code or no account).
    fn code(&self, address: &Address) -> Option<Arc<ContractCode>>;
    /// The account's balance, if known.
    fn balance(&self, address: &Address) -> Option<U256>;
    /// The account's nonce, if known.
    fn nonce(&self, address: &Address) -> Option<u64>;
    /// A storage value, if known.
    fn storage(&self, address: &Address, slot: &U256) -> Option<U256>;
    /// When `storage` is unknown but the value is one of a few (e.g. an earlier transaction of
    /// the block may or may not have changed it), those values; the analyzer follows each.
    fn storage_alternatives(&self, address: &Address, slot: &U256) -> Option<Vec<U256>> {
        let _ = (address, slot);
        None
    }
    /// Whether the account is known to be empty (EIP-161: no balance, nonce or code); false
    /// when it is not or may not be. One question, since only the verdict matters: a balance
    /// the block has made unknown, or a nonce it has raised, leaves the verdict as it was, and
    /// an analysis made ahead of block order that asked it stays valid.
    fn known_empty(&self, address: &Address) -> bool {
        self.balance(address) == Some(U256::ZERO)
            && self.nonce(address) == Some(0)
            && self.code(address).is_none()
    }
    /// True when the analysis asking is no longer wanted (one made ahead of block order that
    /// the complete state contradicts): the analyzer stops at its next question or branch.
    fn outdated(&self) -> bool {
        false
    }
}

/// Storage of a `PreState`: a listed account's unlisted slot is unknown (the pre-state lists
/// only the slots the block touches, so an unlisted slot means the analysis left the real path);
/// an absent account has no storage at all.
fn prestate_storage(pre: &PreState, address: &Address, slot: &U256) -> Option<U256> {
    match pre.account(address) {
        None => Some(U256::ZERO),
        Some(account) => account.storage.get(slot).copied(),
    }
}

impl StateView for PreState {
    fn exists(&self, address: &Address) -> Option<bool> {
        Some(self.account(address).is_some())
    }

    fn code(&self, address: &Address) -> Option<Arc<ContractCode>> {
        let account = self.account(address)?;
        (!account.code.is_empty()).then(|| Arc::new(ContractCode::new(account.code.clone())))
    }

    fn balance(&self, address: &Address) -> Option<U256> {
        Some(self.account(address).map_or(U256::ZERO, |a| a.balance))
    }

    fn nonce(&self, address: &Address) -> Option<u64> {
        Some(self.account(address).map_or(0, |a| a.nonce))
    }

    fn storage(&self, address: &Address, slot: &U256) -> Option<U256> {
        prestate_storage(self, address, slot)
    }
}

/// A `PreState` whose contracts' code is analysed once, on first use, for a whole block.
#[derive(Debug)]
pub struct BlockState<'a> {
    pre: &'a PreState,
    codes: AddressMap<OnceLock<Arc<ContractCode>>>,
}

impl<'a> BlockState<'a> {
    /// Wraps `pre`; nothing is analysed yet.
    pub fn new(pre: &'a PreState) -> Self {
        let codes = pre
            .accounts
            .iter()
            .filter(|(_, a)| !a.code.is_empty())
            .map(|(address, _)| (*address, OnceLock::new()))
            .collect();
        Self { pre, codes }
    }
}

impl StateView for BlockState<'_> {
    fn exists(&self, address: &Address) -> Option<bool> {
        self.pre.exists(address)
    }

    fn code(&self, address: &Address) -> Option<Arc<ContractCode>> {
        let cell = self.codes.get(address)?;
        let code = cell.get_or_init(|| {
            let raw = self
                .pre
                .account(address)
                .map(|a| a.code.clone())
                .unwrap_or_default();
            Arc::new(ContractCode::new(raw))
        });
        Some(code.clone())
    }

    fn balance(&self, address: &Address) -> Option<U256> {
        self.pre.balance(address)
    }

    fn nonce(&self, address: &Address) -> Option<u64> {
        self.pre.nonce(address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Option<U256> {
        prestate_storage(self.pre, address, slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_data_is_not_a_jumpdest() {
        // PUSH2 0x5b5b JUMPDEST PUSH32 <31 x 0x5b> (truncated)
        let mut raw = vec![0x61, 0x5b, 0x5b, 0x5b, 0x7f];
        raw.extend([0x5b; 31]);
        let code = ContractCode::new(Bytes::from(raw));
        assert!(!code.is_jumpdest(1));
        assert!(!code.is_jumpdest(2));
        assert!(code.is_jumpdest(3));
        assert!((4..40).all(|pc| !code.is_jumpdest(pc)));
    }
}
