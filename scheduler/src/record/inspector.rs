//! The inspector half of the recorder: reads noted while the transaction runs.

use alloy_primitives::map::{AddressSet, HashSet};
use alloy_primitives::{Address, B256, U256};
use lanes_analyzer::SlotOrigins;
use revm::Inspector;
use revm::bytecode::opcode;
use revm::context::{Block, Cfg, ContextTr, JournalTr, Transaction};
use revm::interpreter::interpreter_types::{Jumps, LoopControl, RuntimeFlag};
use revm::interpreter::{
    CallInputs, CallOutcome, CallScheme, CreateInputs, CreateOutcome, Interpreter,
    interpreter::EthInterpreter,
};
use revm::primitives::hardfork::SpecId;
use revm::state::EvmState;
use std::collections::BTreeMap;

/// Records one transaction's actual accesses; use a fresh one per transaction, then call
/// [`Recorder::finish`] with the transaction's post-state.
#[derive(Debug, Default)]
pub struct Recorder {
    pub(super) storage_reads: HashSet<(Address, U256)>,
    pub(super) balance_reads: AddressSet,
    pub(super) nonce_reads: AddressSet,
    pub(super) code_reads: AddressSet,
    pub(super) origins: SlotOrigins,
    /// The base word (and key, for 64 bytes) of a `KECCAK256` being executed, completed in
    /// `step_end`.
    pending_hash: Option<(U256, Option<U256>)>,
    /// Mapping keys by slot (hash of a 64-byte preimage), if asked for: for reports.
    keys: Option<BTreeMap<U256, U256>>,
    pub(super) tx: Option<TxFacts>,
}

/// What the recorder learns from the context at the first frame.
#[derive(Clone, Copy, Debug)]
pub(super) struct TxFacts {
    pub(super) sender: Address,
    pub(super) beneficiary: Address,
    pub(super) spec: SpecId,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// A recorder that also keeps the key of every mapping slot it sees, for describing slots
    /// in reports (costs a map entry per 64-byte `KECCAK256`).
    pub fn with_keys() -> Self {
        Self {
            keys: Some(BTreeMap::new()),
            ..Self::default()
        }
    }

    /// The mapping keys seen, by slot: `keccak256(key . base)` -> `key` (with [`Self::with_keys`]).
    pub fn keys(&self) -> Option<&BTreeMap<U256, U256>> {
        self.keys.as_ref()
    }

    fn note_tx<CTX>(&mut self, context: &CTX)
    where
        CTX: ContextTr,
    {
        if self.tx.is_none() {
            self.tx = Some(TxFacts {
                sender: context.tx().caller(),
                beneficiary: context.block().beneficiary(),
                spec: context.cfg().spec().into(),
            });
        }
    }

    fn spurious_dragon(&self) -> bool {
        self.tx
            .is_none_or(|t| t.spec.is_enabled_in(SpecId::SPURIOUS_DRAGON))
    }
}

/// The address in the low 20 bytes of a stack word.
fn address_of(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

/// The last 32 bytes of memory `[offset, offset + len)`, zero past the end of memory.
fn last_word(interp: &Interpreter<EthInterpreter>, offset: U256, len: usize) -> Option<U256> {
    let offset = usize::try_from(offset).ok()?;
    let start = offset.checked_add(len)?.checked_sub(32)?;
    let memory = interp.memory.context_memory();
    let mut word = [0u8; 32];
    if start < memory.len() {
        let end = memory.len().min(start + 32);
        word[..end - start].copy_from_slice(&memory[start..end]);
    }
    Some(U256::from_be_bytes(word))
}

impl<CTX> Inspector<CTX, EthInterpreter> for Recorder
where
    CTX: ContextTr<Journal: JournalTr<State = EvmState>>,
{
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        let op = interp.bytecode.opcode();
        let stack = interp.stack.data();
        let top = |n: usize| stack.len().checked_sub(n + 1).map(|i| stack[i]);
        let here = interp.input.target_address;
        match op {
            opcode::SLOAD => {
                if let Some(slot) = top(0) {
                    self.storage_reads.insert((here, slot));
                }
            }
            opcode::SSTORE if !interp.runtime_flag.is_static() => {
                if let Some(slot) = top(0) {
                    self.storage_reads.insert((here, slot));
                }
            }
            opcode::BALANCE => {
                if let Some(word) = top(0) {
                    self.balance_reads.insert(address_of(word));
                }
            }
            opcode::SELFBALANCE => {
                self.balance_reads.insert(here);
            }
            opcode::EXTCODESIZE | opcode::EXTCODECOPY | opcode::EXTCODEHASH => {
                if let Some(word) = top(0) {
                    self.code_reads.insert(address_of(word));
                }
            }
            opcode::SELFDESTRUCT if !interp.runtime_flag.is_static() => {
                if let Some(word) = top(0) {
                    self.code_reads.insert(address_of(word));
                    self.balance_reads.insert(here);
                }
            }
            opcode::KECCAK256 => {
                if let (Some(offset), Some(len)) = (top(0), top(1))
                    && (len == U256::from(32) || len == U256::from(64))
                {
                    let len = len.to::<usize>();
                    let key = if self.keys.is_some() && len == 64 {
                        last_word(interp, offset, 32)
                    } else {
                        None
                    };
                    self.pending_hash = last_word(interp, offset, len).map(|base| (base, key));
                }
            }
            _ => {}
        }
    }

    fn step_end(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        if let Some((base, key)) = self.pending_hash.take()
            && interp.bytecode.action().is_none()
            && let Some(&hash) = interp.stack.data().last()
        {
            self.origins.insert(hash, base);
            if let (Some(keys), Some(key)) = (self.keys.as_mut(), key) {
                keys.insert(hash, key);
            }
        }
    }

    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.note_tx(context);
        let code = inputs.bytecode_address;
        let precompile = context.journal().precompile_addresses().contains(&code);
        // A CALL may pay new-account gas, which depends on the target's existence.
        let existence_matters = inputs.scheme == CallScheme::Call
            && (inputs.transfers_value() || !self.spurious_dragon());
        if !precompile || existence_matters {
            self.code_reads.insert(code);
        }
        // EIP-7702: calling a delegated account runs (and reads) its delegate's code.
        if let Some(delegate) = context
            .journal()
            .evm_state()
            .get(&code)
            .and_then(|account| account.info.code.as_ref())
            .and_then(revm::bytecode::Bytecode::eip7702_address)
        {
            self.code_reads.insert(delegate);
        }
        if inputs.transfers_value() {
            self.balance_reads.insert(inputs.caller);
        }
        None
    }

    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.note_tx(context);
        let creator = inputs.caller();
        if !inputs.value().is_zero() {
            self.balance_reads.insert(creator);
        }
        let nonce = context
            .journal()
            .evm_state()
            .get(&creator)
            .map(|account| account.info.nonce);
        self.nonce_reads.insert(creator);
        if let Some(nonce) = nonce {
            let target = inputs.created_address(nonce);
            self.code_reads.insert(target);
            self.nonce_reads.insert(target);
        }
        None
    }
}
