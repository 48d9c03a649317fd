//! The recorder on hand-assembled bytecode, one test per kind of access. Expected sets are
//! written out from the bytecode by hand.

use super::{ActualAccess, Recorder};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use lanes_analyzer::{Access, Location};
use revm::bytecode::{Bytecode, opcode as op};
use revm::context::result::ExecutionResult;
use revm::context::{CfgEnv, Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{InspectEvm, MainBuilder, MainContext};
use std::collections::BTreeMap;

const SENDER: Address = Address::repeat_byte(0x51);
const COINBASE: Address = Address::repeat_byte(0xcb);
const A: Address = Address::repeat_byte(0xa0);
const B: Address = Address::repeat_byte(0xb0);
const X: Address = Address::repeat_byte(0x77);

/// A tiny assembler: pushes and opcodes.
#[derive(Default)]
struct Asm(Vec<u8>);

impl Asm {
    fn push(self, value: u64) -> Self {
        self.word(U256::from(value))
    }

    fn word(mut self, value: U256) -> Self {
        let bytes = value.to_be_bytes::<32>();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(31);
        let data = &bytes[first..];
        self.0.push(op::PUSH1 + (data.len() as u8 - 1));
        self.0.extend_from_slice(data);
        self
    }

    fn addr(self, address: Address) -> Self {
        self.word(U256::from_be_slice(address.as_slice()))
    }

    fn op(mut self, code: u8) -> Self {
        self.0.push(code);
        self
    }

    /// `CALL(gas, to, value, 0, 0, 0, 0)`, result popped.
    fn call(self, to: Address, value: u64) -> Self {
        self.push(0)
            .push(0)
            .push(0)
            .push(0)
            .push(value)
            .addr(to)
            .push(100_000)
            .op(op::CALL)
            .op(op::POP)
    }

    fn code(self) -> Bytecode {
        Bytecode::new_raw(Bytes::from(self.0))
    }
}

struct World {
    db: CacheDB<EmptyDB>,
    spec: SpecId,
}

impl World {
    fn new() -> Self {
        let mut db = CacheDB::<EmptyDB>::default();
        db.insert_account_info(
            SENDER,
            AccountInfo::from_balance(U256::from(10u128.pow(20))),
        );
        // An existing beneficiary, so the fee does not bring it into existence.
        db.insert_account_info(COINBASE, AccountInfo::from_balance(U256::from(1u64)));
        Self {
            db,
            spec: SpecId::CANCUN,
        }
    }

    fn contract(mut self, address: Address, code: Asm, balance: u64) -> Self {
        let info = AccountInfo::from_bytecode(code.code()).with_balance(U256::from(balance));
        self.db.insert_account_info(address, info);
        self
    }

    fn slot(mut self, address: Address, slot: u64, value: u64) -> Self {
        self.db
            .insert_account_storage(address, U256::from(slot), U256::from(value))
            .unwrap();
        self
    }

    fn run(self, kind: TxKind, value: u64, data: Vec<u8>) -> (ActualAccess, ExecutionResult) {
        let ctx = Context::mainnet()
            .with_db(self.db)
            .with_cfg(CfgEnv::new_with_spec(self.spec))
            .modify_block_chained(|b| b.beneficiary = COINBASE);
        let mut evm = ctx.build_mainnet_with_inspector(Recorder::new());
        let tx = TxEnv::builder()
            .caller(SENDER)
            .kind(kind)
            .value(U256::from(value))
            .data(Bytes::from(data))
            .gas_limit(1_000_000)
            .gas_price(1)
            .build()
            .unwrap();
        let out = evm.inspect_tx(tx).unwrap();
        let actual = evm.inspector.finish(&out.state);
        assert_eq!(
            std::mem::take(&mut evm.inspector).into_actual(&out.state),
            actual
        );
        (actual, out.result)
    }

    fn run_keys(self, to: Address) -> (ActualAccess, BTreeMap<U256, U256>) {
        let ctx = Context::mainnet()
            .with_db(self.db)
            .with_cfg(CfgEnv::new_with_spec(self.spec));
        let mut evm = ctx.build_mainnet_with_inspector(Recorder::with_keys());
        let tx = TxEnv::builder()
            .caller(SENDER)
            .kind(TxKind::Call(to))
            .gas_limit(1_000_000)
            .build()
            .unwrap();
        let out = evm.inspect_tx(tx).unwrap();
        let keys = evm.inspector.keys().cloned().unwrap_or_default();
        (evm.inspector.finish(&out.state), keys)
    }

    fn call(self, to: Address, value: u64) -> (ActualAccess, ExecutionResult) {
        self.run(TxKind::Call(to), value, Vec::new())
    }
}

fn slot(address: Address, n: u64) -> Location {
    Location::storage(address, U256::from(n))
}

/// The accesses every transaction from `SENDER` has.
fn assert_sender_and_fee(actual: &ActualAccess) {
    assert_eq!(
        actual.set.get(&Location::nonce(SENDER)),
        Some(Access::Write)
    );
    assert_eq!(
        actual.set.get(&Location::balance(SENDER)),
        Some(Access::Write)
    );
    assert_eq!(
        actual.set.get(&Location::balance(COINBASE)),
        Some(Access::Increment)
    );
    assert_eq!(actual.beneficiary, Some(COINBASE));
}

#[test]
fn storage_reads_and_real_writes_only() {
    // SLOAD 1; SSTORE 2 := 7; SSTORE 3 := 5 (already 5); TSTORE 9 := 1; TLOAD 9.
    let code = Asm::default()
        .push(1)
        .op(op::SLOAD)
        .op(op::POP)
        .push(7)
        .push(2)
        .op(op::SSTORE)
        .push(5)
        .push(3)
        .op(op::SSTORE)
        .push(1)
        .push(9)
        .op(op::TSTORE)
        .push(9)
        .op(op::TLOAD)
        .op(op::STOP);
    let (actual, result) = World::new().contract(A, code, 0).slot(A, 3, 5).call(A, 0);
    assert!(result.is_success());
    assert_sender_and_fee(&actual);
    assert_eq!(actual.set.get(&slot(A, 1)), Some(Access::Read));
    assert_eq!(actual.set.get(&slot(A, 2)), Some(Access::Write));
    assert_eq!(actual.set.get(&slot(A, 3)), Some(Access::Read));
    assert_eq!(actual.set.get(&slot(A, 9)), None);
    assert_eq!(actual.set.get(&Location::code(A)), Some(Access::Read));
    // sender nonce+balance, coinbase, code A, three slots.
    assert_eq!(actual.set.len(), 7);
}

#[test]
fn reverted_frame_keeps_reads_and_drops_writes() {
    // B: SLOAD 1; SSTORE 2 := 7; REVERT. A: CALL B; SSTORE 4 := 1.
    let callee = Asm::default()
        .push(1)
        .op(op::SLOAD)
        .op(op::POP)
        .push(7)
        .push(2)
        .op(op::SSTORE)
        .push(0)
        .push(0)
        .op(op::REVERT);
    let caller = Asm::default()
        .call(B, 0)
        .push(1)
        .push(4)
        .op(op::SSTORE)
        .op(op::STOP);
    let (actual, result) = World::new()
        .contract(A, caller, 0)
        .contract(B, callee, 0)
        .call(A, 0);
    assert!(result.is_success());
    assert_eq!(actual.set.get(&slot(B, 1)), Some(Access::Read));
    assert_eq!(actual.set.get(&slot(B, 2)), Some(Access::Read));
    assert_eq!(actual.set.get(&slot(A, 4)), Some(Access::Write));
    assert_eq!(actual.set.get(&Location::code(B)), Some(Access::Read));
}

#[test]
fn reverted_transaction_writes_only_sender_and_fee() {
    let code = Asm::default()
        .push(7)
        .push(2)
        .op(op::SSTORE)
        .push(0)
        .push(0)
        .op(op::REVERT);
    let (actual, result) = World::new().contract(A, code, 0).call(A, 0);
    assert!(!result.is_success());
    assert_sender_and_fee(&actual);
    assert_eq!(actual.set.get(&slot(A, 2)), Some(Access::Read));
    assert_eq!(actual.set.writes.len(), 2);
}

#[test]
fn fee_to_a_new_beneficiary_creates_it() {
    let mut world = World::new();
    world.db.cache.accounts.remove(&COINBASE);
    let (actual, _) = world.call(X, 0);
    assert_sender_and_fee(&actual);
    assert_eq!(
        actual.set.get(&Location::code(COINBASE)),
        Some(Access::Write)
    );
}

#[test]
fn balance_opcodes_read() {
    let code = Asm::default()
        .addr(X)
        .op(op::BALANCE)
        .op(op::POP)
        .op(op::SELFBALANCE)
        .op(op::POP)
        .op(op::STOP);
    let (actual, _) = World::new().contract(A, code, 0).call(A, 0);
    assert_eq!(actual.set.get(&Location::balance(X)), Some(Access::Read));
    assert_eq!(actual.set.get(&Location::balance(A)), Some(Access::Read));
    assert_sender_and_fee(&actual);
}

#[test]
fn credit_never_read_is_an_increment() {
    // A plain transfer to a hot wallet that already exists.
    let mut world = World::new();
    world
        .db
        .insert_account_info(X, AccountInfo::from_balance(U256::from(1u64)));
    let (actual, _) = world.call(X, 1_000);
    assert_sender_and_fee(&actual);
    assert_eq!(
        actual.set.get(&Location::balance(X)),
        Some(Access::Increment)
    );
    assert_eq!(actual.set.get(&Location::code(X)), Some(Access::Read));
    assert_eq!(actual.set.len(), 5);
}

#[test]
fn credit_read_back_is_a_write() {
    // A WETH-like contract whose code reads its own balance after the deposit.
    let code = Asm::default().op(op::SELFBALANCE).op(op::POP).op(op::STOP);
    let (actual, _) = World::new().contract(A, code, 0).call(A, 1_000);
    assert_eq!(actual.set.get(&Location::balance(A)), Some(Access::Write));
}

#[test]
fn value_sender_is_read_and_payee_incremented() {
    // A pays X 5 wei from its own balance; A never runs BALANCE.
    let mut world = World::new().contract(A, Asm::default().call(X, 5).op(op::STOP), 100);
    world
        .db
        .insert_account_info(X, AccountInfo::from_balance(U256::from(1u64)));
    let (actual, _) = world.call(A, 0);
    assert_eq!(actual.set.get(&Location::balance(A)), Some(Access::Write));
    assert_eq!(
        actual.set.get(&Location::balance(X)),
        Some(Access::Increment)
    );
}

#[test]
fn beneficiary_read_is_a_real_conflict() {
    let code = Asm::default()
        .op(op::COINBASE)
        .op(op::BALANCE)
        .op(op::POP)
        .op(op::STOP);
    let (actual, _) = World::new().contract(A, code, 0).call(A, 0);
    assert_eq!(
        actual.set.get(&Location::balance(COINBASE)),
        Some(Access::Write)
    );
}

#[test]
fn code_reads_by_extcode_and_calls() {
    let code = Asm::default()
        .addr(X)
        .op(op::EXTCODESIZE)
        .op(op::POP)
        .call(B, 0)
        .push(0)
        .push(0)
        .push(0)
        .push(0)
        .push(4) // the identity precompile, no value: not state
        .push(50_000)
        .op(op::STATICCALL)
        .op(op::POP)
        .op(op::STOP);
    let (actual, _) = World::new()
        .contract(A, code, 0)
        .contract(B, Asm::default().op(op::STOP), 0)
        .call(A, 0);
    assert_eq!(actual.set.get(&Location::code(X)), Some(Access::Read));
    assert_eq!(actual.set.get(&Location::code(B)), Some(Access::Read));
    assert_eq!(actual.set.get(&Location::code(A)), Some(Access::Read));
    let identity = Address::with_last_byte(4);
    assert_eq!(actual.set.get(&Location::code(identity)), None);
}

#[test]
fn create_and_create2_nonces_and_code() {
    // CREATE with empty init code, then CREATE2 with salt 9 and empty init code.
    let code = Asm::default()
        .push(0)
        .push(0)
        .push(0)
        .op(op::CREATE)
        .op(op::POP)
        .push(9)
        .push(0)
        .push(0)
        .push(0)
        .op(op::CREATE2)
        .op(op::POP)
        .op(op::STOP);
    let world = World::new().contract(A, code, 0);
    let (actual, result) = world.call(A, 0);
    assert!(result.is_success());
    // A contract's nonce starts at 1 (EIP-161), so CREATE uses nonce 1, CREATE2 bumps it to 3.
    let first = A.create(1);
    let second = A.create2(
        U256::from(9).to_be_bytes::<32>(),
        alloy_primitives::keccak256([]),
    );
    assert_eq!(actual.set.get(&Location::nonce(A)), Some(Access::Write));
    for created in [first, second] {
        assert_eq!(
            actual.set.get(&Location::code(created)),
            Some(Access::Write)
        );
        assert_eq!(
            actual.set.get(&Location::nonce(created)),
            Some(Access::Write)
        );
    }
}

#[test]
fn creation_transaction_writes_the_new_account() {
    let (actual, result) = World::new().run(TxKind::Create, 0, vec![op::STOP]);
    assert!(result.is_success());
    let created = SENDER.create(0);
    assert_sender_and_fee(&actual);
    assert_eq!(
        actual.set.get(&Location::code(created)),
        Some(Access::Write)
    );
    assert_eq!(
        actual.set.get(&Location::nonce(created)),
        Some(Access::Write)
    );
}

#[test]
fn selfdestruct_destroys_and_credits() {
    let code = Asm::default().addr(X).op(op::SELFDESTRUCT);
    let mut world = World::new().contract(A, code, 500);
    world.spec = SpecId::SHANGHAI;
    world
        .db
        .insert_account_info(X, AccountInfo::from_balance(U256::from(1u64)));
    let (actual, _) = world.call(A, 0);
    assert_eq!(actual.set.get(&Location::balance(A)), Some(Access::Write));
    assert_eq!(actual.set.get(&Location::code(A)), Some(Access::Write));
    assert_eq!(actual.set.get(&Location::code(X)), Some(Access::Read));
    assert_eq!(
        actual.set.get(&Location::balance(X)),
        Some(Access::Increment)
    );
}

#[test]
fn touched_empty_account_is_deleted() {
    // EIP-161: a zero-value CALL to an existing empty account deletes it.
    let mut world = World::new().contract(A, Asm::default().call(X, 0).op(op::STOP), 0);
    world.db.insert_account_info(X, AccountInfo::default());
    let (actual, _) = world.call(A, 0);
    assert_eq!(actual.set.get(&Location::code(X)), Some(Access::Write));
}

#[test]
fn keccak_preimages_give_slot_origins() {
    // mstore(0, key); mstore(32, 1); sload(keccak256(0, 64)): balances[key] at root 1.
    let key = U256::from(0xbeefu64);
    let code = Asm::default()
        .word(key)
        .push(0)
        .op(op::MSTORE)
        .push(1)
        .push(32)
        .op(op::MSTORE)
        .push(64)
        .push(0)
        .op(op::KECCAK256)
        .op(op::SLOAD)
        .op(op::POP)
        .op(op::STOP);
    let (actual, _) = World::new().contract(A, code, 0).call(A, 0);
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(&key.to_be_bytes::<32>());
    preimage[63] = 1;
    let hashed = U256::from_be_bytes(alloy_primitives::keccak256(preimage).0);
    assert_eq!(
        actual.set.get(&Location::storage(A, hashed)),
        Some(Access::Read)
    );
    assert!(actual.origins.derives_from(hashed, U256::from(1)));
    assert_eq!(actual.origins.root(hashed), U256::from(1));
}

#[test]
fn mapping_keys_on_request() {
    // mstore(0, 5); mstore(32, 2); keccak256(0, 64) with a keys-keeping recorder.
    let code = Asm::default()
        .push(5)
        .push(0)
        .op(op::MSTORE)
        .push(2)
        .push(32)
        .op(op::MSTORE)
        .push(64)
        .push(0)
        .op(op::KECCAK256)
        .op(op::POP)
        .op(op::STOP);
    let mut world = World::new().contract(A, code, 0);
    world.spec = SpecId::CANCUN;
    let (_, keys) = world.run_keys(A);
    let mut preimage = [0u8; 64];
    preimage[31] = 5;
    preimage[63] = 2;
    let hashed = U256::from_be_bytes(alloy_primitives::keccak256(preimage).0);
    assert_eq!(keys.get(&hashed), Some(&U256::from(5)));
}

#[test]
fn calling_a_delegated_account_reads_the_delegate() {
    // Prague: X is an EOA delegated to B (EIP-7702); A calls X.
    let mut world = World::new()
        .contract(A, Asm::default().call(X, 0).op(op::STOP), 0)
        .contract(B, Asm::default().op(op::STOP), 0);
    world.spec = SpecId::PRAGUE;
    world.db.insert_account_info(
        X,
        AccountInfo::from_bytecode(Bytecode::new_eip7702(B)).with_balance(U256::from(1u64)),
    );
    let (actual, result) = world.call(A, 0);
    assert!(result.is_success());
    assert_eq!(actual.set.get(&Location::code(X)), Some(Access::Read));
    assert_eq!(actual.set.get(&Location::code(B)), Some(Access::Read));
}
