//! Helpers shared by the analyzer's integration tests: a tiny assembler, transactions,
//! pre-states and mainnet block directories.

use alloy_consensus::{Signed, TxEnvelope, TxLegacy, transaction::Recovered};
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256, keccak256};
use alloy_rpc_types_eth::Transaction;
use lanes_analyzer::{
    AccessPrediction, BlockEnv, Limits, Location, PreAccount, PreState, Scope, analyze_tx,
};
use revm::bytecode::opcode as op;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The shared mainnet block directory, or `None` (with a printed note) when it is absent.
pub(crate) fn mainnet_dir(block: u64) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/mainnet")
        .join(block.to_string());
    let dir = if dir.exists() {
        dir
    } else {
        PathBuf::from("/work/shared/mainnet").join(block.to_string())
    };
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!("note: {} absent, mainnet test skipped", dir.display());
        None
    }
}

/// The sender of test transactions.
pub(crate) const SENDER: Address = Address::repeat_byte(0x51);
/// The block beneficiary of test blocks.
pub(crate) const COINBASE: Address = Address::repeat_byte(0xcb);

/// A tiny assembler with labels.
#[derive(Default)]
pub(crate) struct Asm {
    code: Vec<u8>,
    labels: BTreeMap<&'static str, usize>,
    fixups: Vec<(usize, &'static str)>,
}

impl Asm {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// PUSH of the shortest width.
    pub(crate) fn push(self, value: u64) -> Self {
        self.word(U256::from(value))
    }

    /// PUSH of a full word value.
    pub(crate) fn word(mut self, value: U256) -> Self {
        let bytes = value.to_be_bytes::<32>();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(31);
        let data = &bytes[first..];
        self.code.push(op::PUSH1 + (data.len() as u8 - 1));
        self.code.extend_from_slice(data);
        self
    }

    /// PUSH20 of an address.
    pub(crate) fn addr(mut self, address: Address) -> Self {
        self.code.push(op::PUSH20);
        self.code.extend_from_slice(address.as_slice());
        self
    }

    /// One opcode.
    pub(crate) fn op(mut self, code: u8) -> Self {
        self.code.push(code);
        self
    }

    /// Raw bytes.
    pub(crate) fn raw(mut self, bytes: &[u8]) -> Self {
        self.code.extend_from_slice(bytes);
        self
    }

    /// A JUMPDEST named `name`.
    pub(crate) fn label(mut self, name: &'static str) -> Self {
        self.labels.insert(name, self.code.len());
        self.code.push(op::JUMPDEST);
        self
    }

    /// PUSH2 of the label's offset.
    pub(crate) fn to(mut self, name: &'static str) -> Self {
        self.code.push(op::PUSH2);
        self.fixups.push((self.code.len(), name));
        self.code.extend_from_slice(&[0, 0]);
        self
    }

    /// `SSTORE(slot, value)` with constants.
    pub(crate) fn sstore(self, slot: u64, value: u64) -> Self {
        self.push(value).push(slot).op(op::SSTORE)
    }

    /// `CALL`-like opcode with zero-length input and output: `gas, to, [value]`.
    pub(crate) fn call(self, opcode: u8, to: Address, value: u64) -> Self {
        let s = self.push(0).push(0).push(0).push(0);
        let s = if matches!(opcode, op::CALL | op::CALLCODE) {
            s.push(value)
        } else {
            s
        };
        s.addr(to).op(op::GAS).op(opcode).op(op::POP)
    }

    /// The bytecode.
    pub(crate) fn build(self) -> Bytes {
        let mut code = self.code;
        for (at, name) in self.fixups {
            let target = self.labels[name];
            code[at..at + 2].copy_from_slice(&(target as u16).to_be_bytes());
        }
        code.into()
    }
}

/// A legacy transaction from `SENDER` with a gas limit of 1M.
pub(crate) fn tx(to: Option<Address>, value: u64, input: &[u8]) -> Transaction {
    tx_with_gas(to, value, input, 1_000_000)
}

/// A legacy transaction from `SENDER`.
pub(crate) fn tx_with_gas(
    to: Option<Address>,
    value: u64,
    input: &[u8],
    gas_limit: u64,
) -> Transaction {
    let inner = TxLegacy {
        chain_id: Some(1),
        nonce: 0,
        gas_price: 1,
        gas_limit,
        to: to.map_or(TxKind::Create, TxKind::Call),
        value: U256::from(value),
        input: Bytes::copy_from_slice(input),
    };
    let signed = Signed::new_unhashed(inner, Signature::test_signature());
    Transaction {
        inner: Recovered::new_unchecked(TxEnvelope::Legacy(signed), SENDER),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: Some(1),
        block_timestamp: None,
    }
}

/// A pre-state with the sender and the given contracts.
pub(crate) fn state(contracts: &[(Address, Bytes)]) -> PreState {
    let mut pre = PreState::default();
    pre.accounts.insert(
        SENDER,
        PreAccount {
            balance: U256::from(10u64).pow(U256::from(20)),
            ..PreAccount::default()
        },
    );
    for (address, code) in contracts {
        pre.accounts.insert(
            *address,
            PreAccount {
                code: code.clone(),
                nonce: 1,
                ..PreAccount::default()
            },
        );
    }
    pre
}

/// A Cancun-era block environment.
pub(crate) fn env() -> BlockEnv {
    BlockEnv {
        number: 19_500_000,
        timestamp: 1_711_000_000,
        beneficiary: COINBASE,
        base_fee: Some(1),
        gas_limit: 30_000_000,
        chain_id: 1,
        spec: lanes_analyzer::env::mainnet_spec(19_500_000, 1_711_000_000),
        ..BlockEnv::default()
    }
}

/// Runs one transaction against `pre` with default limits.
pub(crate) fn run(pre: &PreState, tx: &Transaction) -> AccessPrediction {
    analyze_tx(tx, &env(), pre, &Limits::default())
}

/// A storage location.
pub(crate) fn slot(address: Address, slot: U256) -> Location {
    Location::storage(address, slot)
}

/// `keccak256(key . base)` as a slot.
pub(crate) fn mapping_slot(key: U256, base: U256) -> U256 {
    let mut pre = [0u8; 64];
    pre[..32].copy_from_slice(&key.to_be_bytes::<32>());
    pre[32..].copy_from_slice(&base.to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(pre).0)
}

/// Whether the prediction widens to anything coarser than a family.
pub(crate) fn coarse(p: &AccessPrediction) -> Vec<&Scope> {
    p.widened
        .iter()
        .filter(|w| w.scope.is_coarse())
        .map(|w| &w.scope)
        .collect()
}
