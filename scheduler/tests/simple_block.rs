//! A small hand-made Cancun-shaped block (chain 31337): an ETH transfer to a new account and a
//! call into a contract that stores 42 in slot 0 and logs 7 zero bytes. Expected values are
//! worked out by hand in the comments.

use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, proofs};
use alloy_primitives::{Address, Bytes, Log, LogData, U256, address, logs_bloom};
use lanes_analyzer::BlockInput;
use lanes_scheduler::exec::{
    Check, HeaderCheck, check_header, execute_sequential, execute_sequential_with, no_inspector,
};
use revm::primitives::hardfork::SpecId;
use std::path::PathBuf;

const SENDER: Address = address!("1000000000000000000000000000000000000001");
const RECEIVER: Address = address!("2000000000000000000000000000000000000002");
const CONTRACT: Address = address!("3000000000000000000000000000000000000003");
const MINER: Address = address!("4000000000000000000000000000000000000004");
const GWEI: u64 = 1_000_000_000;
const ETHER: u128 = 1_000_000_000_000_000_000;

fn simple() -> BlockInput {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/blocks/simple");
    BlockInput::load(dir).expect("fixture loads")
}

/// The log of tx 1: LOG0 of memory[0..7], all zero.
fn contract_log() -> Log {
    Log {
        address: CONTRACT,
        data: LogData::new_unchecked(vec![], Bytes::from(vec![0u8; 7])),
    }
}

#[test]
fn executes_by_hand_computed_gas_and_state() {
    let input = simple();
    let outcome = execute_sequential(&input).expect("block executes");
    // Shape: parentBeaconBlockRoot without requestsHash -> Cancun on a non-mainnet chain.
    assert_eq!(outcome.spec, SpecId::CANCUN);
    // tx 0: plain transfer, 21000.
    // tx 1: 21000 + PUSH1 3 + PUSH1 3 + SSTORE cold 0->42 (2100 + 20000) + PUSH1 3 + PUSH1 3
    //       + LOG0 375 + 8*7 + one word of memory 3 = 43546.
    let gas: Vec<u64> = outcome.receipts.iter().map(|r| r.gas_used).collect();
    assert_eq!(gas, vec![21_000, 43_546]);
    assert_eq!(outcome.gas_used, 64_546);
    assert!(outcome.receipts.iter().all(|r| r.success));
    assert_eq!(outcome.receipts[1].logs, vec![contract_log()]);

    // Effective price min(2 gwei, 1 gwei base + 1 gwei tip) = 2 gwei; the tip goes to the miner.
    let post = &outcome.post_state.accounts;
    let sender = post[&SENDER].account.expect("sender exists");
    let paid = U256::from(64_546 * 2 * GWEI);
    assert_eq!(sender.balance, U256::from(10 * ETHER - ETHER) - paid);
    assert_eq!(sender.nonce, 2);
    let receiver = post[&RECEIVER].account.expect("receiver created");
    assert_eq!(receiver.balance, U256::from(ETHER));
    let miner = post[&MINER].account.expect("miner credited");
    assert_eq!(miner.balance, U256::from(64_546 * GWEI));
    assert_eq!(post[&CONTRACT].storage[&U256::ZERO], U256::from(42));
    assert_eq!(post.len(), 4, "only these four accounts change: {post:?}");
}

#[test]
fn receipts_root_and_bloom_equal_hand_built_alloy_receipts() {
    let input = simple();
    let outcome = execute_sequential(&input).expect("block executes");
    let expected = [
        Receipt {
            status: Eip658Value::Eip658(true),
            cumulative_gas_used: 21_000,
            logs: vec![],
        },
        Receipt {
            status: Eip658Value::Eip658(true),
            cumulative_gas_used: 64_546,
            logs: vec![contract_log()],
        },
    ]
    .map(|r| ReceiptEnvelope::Eip1559(r.with_bloom()));
    assert_eq!(
        outcome.receipts_root(),
        proofs::calculate_receipt_root(&expected)
    );
    assert_eq!(outcome.logs_bloom(), logs_bloom([&contract_log()]));
    // The fixture's header carries these values, so the block verifies.
    let check = check_header(&input, &outcome);
    assert_eq!(
        check,
        HeaderCheck {
            receipts_root: Check::Match,
            logs_bloom: Check::Match,
            gas_used: Check::Match,
            details: vec![],
        }
    );
}

#[test]
fn inspected_execution_equals_plain_execution_and_sees_every_tx() {
    let input = simple();
    let plain = execute_sequential(&input).expect("plain");
    let mut seen = Vec::new();
    let inspected = execute_sequential_with(&input, no_inspector, |index, _, result| {
        seen.push((index, result.result.is_success()));
    })
    .expect("inspected");
    assert_eq!(plain, inspected);
    assert_eq!(seen, vec![(0, true), (1, true)]);
}

#[test]
fn a_failed_transaction_leaves_nothing_cached_in_a_reused_evm() {
    // Tx 1 (nonce 1) fails against the pre-state; once tx 0 is committed into the database,
    // the same EVM must read the sender afresh and run tx 1.
    use lanes_scheduler::exec::{BlockContext, InMemoryDb};
    use revm::DatabaseCommit;
    let input = simple();
    let ctx = BlockContext::new(&input).unwrap();
    let mut evm = ctx.evm(InMemoryDb::new(&input), no_inspector(0));
    assert!(
        ctx.transact_in(1, &mut evm).is_err(),
        "nonce 1 on the pre-state"
    );
    // Tx 0 runs elsewhere; its changes reach this EVM's database only.
    let first = ctx
        .transact(0, InMemoryDb::new(&input), no_inspector(0))
        .expect("tx 0 runs");
    alloy_evm::Evm::db_mut(&mut evm).commit(first.state);
    let second = ctx
        .transact_in(1, &mut evm)
        .expect("tx 1 runs once tx 0 is in");
    assert!(second.result.is_success());
}
