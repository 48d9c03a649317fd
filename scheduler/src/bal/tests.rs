//! Block access lists from real revm executions of hand-assembled code; expected lists are
//! written out from the code by hand (balances use the gas revm reports).

use super::*;
use alloy_primitives::{TxKind, keccak256};
use lanes_analyzer::{Access, AccessSet};
use revm::bytecode::{Bytecode, opcode as op};
use revm::context::ContextTr;
use revm::context::{CfgEnv, Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{DatabaseCommit, ExecuteEvm, MainBuilder, MainContext};

const SENDER: Address = Address::repeat_byte(0x51);
const X: Address = Address::repeat_byte(0x77);
const W: Address = Address::repeat_byte(0x99);
const C: Address = Address::repeat_byte(0xc0);
const COINBASE: Address = Address::repeat_byte(0xcb);
const FUNDS: u64 = 1_000_000_000_000;

/// SLOAD slot 1; SSTORE slot 2 := 5; SSTORE slot 3 := 7 (already 7); EXTCODESIZE(X); STOP.
fn contract() -> Bytes {
    let mut code = vec![op::PUSH1, 1, op::SLOAD, op::POP];
    code.extend([op::PUSH1, 5, op::PUSH1, 2, op::SSTORE]);
    code.extend([op::PUSH1, 7, op::PUSH1, 3, op::SSTORE]);
    code.push(op::PUSH20);
    code.extend_from_slice(X.as_slice());
    code.extend([op::EXTCODESIZE, op::POP, op::STOP]);
    code.into()
}

/// STATICCALL(gas, 0x04 identity precompile, 0, 0, 0, 0); STOP.
fn calls_precompile() -> Bytes {
    vec![
        op::PUSH1,
        0,
        op::PUSH1,
        0,
        op::PUSH1,
        0,
        op::PUSH1,
        0,
        op::PUSH1,
        4,
        op::GAS,
        op::STATICCALL,
        op::POP,
        op::STOP,
    ]
    .into()
}

/// Init code returning the one-byte runtime `STOP`.
fn init_code() -> Bytes {
    vec![
        op::PUSH1,
        0,
        op::PUSH1,
        0,
        op::MSTORE8,
        op::PUSH1,
        1,
        op::PUSH1,
        0,
        op::RETURN,
    ]
    .into()
}

/// Runs `txs` in order, committing each, and returns each one's gas used and state.
fn run(txs: &[(TxKind, Bytes)]) -> Vec<(u64, EvmState)> {
    let mut db = CacheDB::<EmptyDB>::default();
    db.insert_account_info(SENDER, AccountInfo::from_balance(U256::from(FUNDS)));
    db.insert_account_info(COINBASE, AccountInfo::from_balance(U256::from(1)));
    db.insert_account_info(C, AccountInfo::from_bytecode(Bytecode::new_raw(contract())));
    db.insert_account_storage(C, U256::from(3), U256::from(7))
        .unwrap();
    let mut evm = Context::mainnet()
        .with_db(db)
        .with_cfg(CfgEnv::new_with_spec(SpecId::CANCUN))
        .modify_block_chained(|b| b.beneficiary = COINBASE)
        .build_mainnet();
    let mut out = Vec::new();
    for (nonce, (kind, data)) in txs.iter().enumerate() {
        let tx = TxEnv::builder()
            .caller(SENDER)
            .kind(*kind)
            .data(data.clone())
            .nonce(nonce as u64)
            .gas_limit(1_000_000)
            .gas_price(1)
            .build()
            .unwrap();
        let result = evm.transact(tx).unwrap();
        assert!(result.result.is_success());
        evm.ctx.db_mut().commit(result.state.clone());
        out.push((result.result.tx_gas_used(), result.state));
    }
    out
}

fn idx(i: u64) -> BlockAccessIndex {
    BlockAccessIndex::new(i)
}

#[test]
fn access_list_of_two_calls_a_create_and_a_withdrawal() {
    let runs = run(&[
        (TxKind::Call(C), Bytes::new()),
        (TxKind::Call(C), Bytes::new()),
        (TxKind::Create, init_code()),
    ]);
    let mut builder = BalBuilder::new();
    for (i, (_, state)) in runs.iter().enumerate() {
        builder.add_tx(i, state);
    }
    builder.add_increments(idx(4), [(W, 1_000_000_000), (COINBASE, 0)], |_| U256::ZERO);
    let bal = builder.finish();

    let gas: Vec<u64> = runs.iter().map(|(g, _)| *g).collect();
    let created = SENDER.create(2);
    let mut sender_balance = U256::from(FUNDS);
    let mut coinbase_balance = U256::from(1);
    let mut sender = AccountChanges::new(SENDER);
    let mut coinbase = AccountChanges::new(COINBASE);
    for (i, g) in gas.iter().enumerate() {
        let index = idx(i as u64 + 1);
        sender_balance -= U256::from(*g);
        coinbase_balance += U256::from(*g);
        sender
            .balance_changes
            .push(BalanceChange::new(index, sender_balance));
        sender
            .nonce_changes
            .push(NonceChange::new(index, i as u64 + 1));
        coinbase
            .balance_changes
            .push(BalanceChange::new(index, coinbase_balance));
    }
    let mut c = AccountChanges::new(C);
    // Slot 2 changes in the first call only (a no-op write in the second); slot 3 is a no-op
    // write, so a read; slot 1 is read.
    c.storage_changes = vec![SlotChanges::new(
        U256::from(2),
        vec![StorageChange::new(idx(1), U256::from(5))],
    )];
    c.storage_reads = vec![U256::from(1), U256::from(3)];
    let mut new = AccountChanges::new(created);
    new.nonce_changes = vec![NonceChange::new(idx(3), 1)];
    new.code_changes = vec![CodeChange::new(idx(3), Bytes::from(vec![op::STOP]))];
    let mut w = AccountChanges::new(W);
    w.balance_changes = vec![BalanceChange::new(idx(4), U256::from(1_000_000_000u64))];
    let mut expected = vec![sender, AccountChanges::new(X), w, c, coinbase, new];
    expected.sort_by_key(|a| a.address);
    assert_eq!(bal, expected);

    alloy_eip7928::validate_block_access_list(&bal, 3).unwrap();
    let rlp = bal_rlp(&bal);
    assert_eq!(bal_hash(&bal), keccak256(&rlp));
    let decoded: Vec<AccountChanges> = alloy_rlp::Decodable::decode(&mut rlp.as_ref()).unwrap();
    assert_eq!(decoded, bal);
}

#[test]
fn empty_list_hash_is_the_eips() {
    assert_eq!(bal_rlp(&[]).as_ref(), &[0xc0]);
    assert_eq!(
        bal_hash(&[]),
        "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
            .parse::<B256>()
            .unwrap()
    );
}

#[test]
fn grading_names_missing_and_extra_locations() {
    let runs = run(&[(TxKind::Call(C), Bytes::new())]);
    let mut builder = BalBuilder::new();
    builder.add_tx(0, &runs[0].1);
    let actual = BalLocations::of_bal(&builder.finish());
    let mut exact = AccessSet::default();
    exact.insert(Location::nonce(SENDER), Access::Write);
    exact.insert(Location::balance(SENDER), Access::Write);
    exact.insert(Location::balance(COINBASE), Access::Increment);
    exact.insert(Location::storage(C, U256::from(1)), Access::Read);
    exact.insert(Location::storage(C, U256::from(2)), Access::Read);
    exact.insert(Location::storage(C, U256::from(9)), Access::Read);
    exact.insert(Location::code(Address::repeat_byte(0x42)), Access::Read);
    let predicted = BalLocations::of_predictions(&[AccessPrediction {
        exact,
        ..AccessPrediction::default()
    }]);
    let grade = BalGrade::new(&predicted, &actual, &SlotOrigins::default());
    assert_eq!(grade.actual_accounts, 4);
    assert_eq!(grade.actual_slots, 3);
    assert_eq!(grade.missing_accounts, vec![X]);
    assert_eq!(grade.extra_accounts, vec![Address::repeat_byte(0x42)]);
    assert_eq!(grade.missing_slots, vec![(C, U256::from(3))]);
    assert_eq!(grade.extra_slots, vec![(C, U256::from(9))]);
    assert_eq!(grade.changed_predicted_read, vec![(C, U256::from(2))]);

    // A whole-contract widening covers the missing slot.
    let widened = BalLocations::of_predictions(&[AccessPrediction {
        widened: vec![lanes_analyzer::Widening {
            scope: Scope::Contract { address: C },
            access: Access::Write,
            reason: "test".into(),
        }],
        ..AccessPrediction::default()
    }]);
    let grade = BalGrade::new(&widened, &actual, &SlotOrigins::default());
    assert_eq!(grade.widened_slots, 3);
    assert!(grade.missing_slots.is_empty());
    assert_eq!(grade.missing_accounts, vec![SENDER, X, COINBASE]);
}

#[test]
fn a_called_precompile_is_listed_with_no_changes() {
    // The creation's init code calls the precompile; the created account gets nonce 1 and
    // empty code.
    let runs = run(&[(TxKind::Create, calls_precompile())]);
    let mut builder = BalBuilder::new();
    builder.add_tx(0, &runs[0].1);
    let bal = builder.finish();
    let precompile = Address::with_last_byte(4);
    let entry = bal
        .iter()
        .find(|a| a.address == precompile)
        .expect("the precompile is listed");
    assert!(entry.storage_changes.is_empty() && entry.balance_changes.is_empty());
    assert!(entry.nonce_changes.is_empty() && entry.code_changes.is_empty());
}

#[test]
fn an_account_created_and_destroyed_in_one_transaction_has_no_nonce_or_code_change() {
    let mut init = vec![op::PUSH1, 7, op::PUSH1, 1, op::SSTORE, op::PUSH20];
    init.extend_from_slice(X.as_slice());
    init.push(op::SELFDESTRUCT);
    let runs = run(&[(TxKind::Create, init.into())]);
    let mut builder = BalBuilder::new();
    builder.add_tx(0, &runs[0].1);
    let bal = builder.finish();
    let created = SENDER.create(0);
    let entry = bal.iter().find(|a| a.address == created).expect("listed");
    assert!(entry.nonce_changes.is_empty() && entry.code_changes.is_empty());
    assert!(entry.balance_changes.is_empty() && entry.storage_changes.is_empty());
    // The slot it wrote before destroying itself is a read.
    assert_eq!(entry.storage_reads, vec![U256::from(1)]);
    assert!(
        bal.iter().any(|a| a.address == X),
        "the beneficiary is listed"
    );
}
