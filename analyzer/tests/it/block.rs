//! Whole blocks: later transactions see what earlier ones wrote.

use super::common::{Asm, COINBASE, slot, state, tx};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Header};
use lanes_analyzer::{Access, BlockInput, Limits, analyze_block};
use revm::bytecode::opcode as op;
use std::collections::BTreeMap;

const C: Address = Address::repeat_byte(0xc0);

#[test]
fn a_later_transaction_sees_an_earlier_write() {
    // calldata[0] == 1: sstore(0, 1). Otherwise: sload(0) != 0 ? sstore(1, 1) : sstore(2, 1).
    let code = Asm::new()
        .push(0)
        .op(op::CALLDATALOAD)
        .push(248)
        .op(op::SHR)
        .push(1)
        .op(op::EQ)
        .to("set")
        .op(op::JUMPI)
        .push(0)
        .op(op::SLOAD)
        .to("one")
        .op(op::JUMPI)
        .sstore(2, 1)
        .op(op::STOP)
        .label("one")
        .sstore(1, 1)
        .op(op::STOP)
        .label("set")
        .sstore(0, 1)
        .op(op::STOP)
        .build();
    let mut pre = state(&[(C, code)]);
    pre.accounts
        .get_mut(&C)
        .unwrap()
        .storage
        .insert(U256::ZERO, U256::ZERO);
    let input = block_input(pre, vec![tx(Some(C), 0, &[1]), tx(Some(C), 0, &[0])]);
    let p = analyze_block(&input, &Limits::default());
    assert_eq!(p[0].exact.get(&slot(C, U256::ZERO)), Some(Access::Write));
    // Against the pre-block state the second would write slot 2; after the first, slot 1.
    assert_eq!(p[1].exact.get(&slot(C, U256::from(1))), Some(Access::Write));
    assert_eq!(p[1].exact.get(&slot(C, U256::from(2))), None);
    assert!(p[1].assumptions.contains(&slot(C, U256::ZERO)));
}

/// The block's predictions on a pool of `threads`.
fn on_threads(input: &BlockInput, threads: usize) -> Vec<lanes_analyzer::AccessPrediction> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| analyze_block(input, &Limits::default()))
}

/// A block at Cancun-era height over `pre` with `txs`.
fn block_input(
    pre: lanes_analyzer::PreState,
    txs: Vec<alloy_rpc_types_eth::Transaction>,
) -> BlockInput {
    let mut header = alloy_consensus::Header {
        beneficiary: COINBASE,
        number: 19_500_000,
        timestamp: 1_711_000_000,
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(1),
        ..Default::default()
    };
    header.parent_hash = B256::repeat_byte(1);
    let block = Block {
        header: Header::new(header),
        uncles: Vec::new(),
        transactions: BlockTransactions::Full(txs),
        withdrawals: None,
    };
    BlockInput {
        dir: std::path::PathBuf::new(),
        block,
        prestate: pre,
        block_hashes: BTreeMap::new(),
    }
}

#[test]
fn a_chain_of_dependent_transactions_gives_the_same_predictions_on_any_thread_count() {
    // v = sload(0); sstore(0, v + 1); sstore(v + 100, 1): transaction i writes slot 100 + i,
    // which only the writes of all transactions before it tell.
    let code = Asm::new()
        .push(0)
        .op(op::SLOAD)
        .op(op::DUP1)
        .push(1)
        .op(op::ADD)
        .push(0)
        .op(op::SSTORE)
        .push(1)
        .op(op::SWAP1)
        .push(100)
        .op(op::ADD)
        .op(op::SSTORE)
        .op(op::STOP)
        .build();
    let mut pre = state(&[(C, code)]);
    pre.accounts
        .get_mut(&C)
        .unwrap()
        .storage
        .insert(U256::ZERO, U256::ZERO);
    let n = 60;
    let input = block_input(pre, (0..n).map(|_| tx(Some(C), 0, &[])).collect());
    let on = |threads: usize| on_threads(&input, threads);
    let one = on(1);
    for (i, p) in one.iter().enumerate() {
        let own = slot(C, U256::from(100 + i));
        assert_eq!(p.exact.get(&own), Some(Access::Write), "tx {i}");
        assert_eq!(
            p.exact.writes.len(),
            4,
            "tx {i}: sender nonce and balance, slot 0, its slot"
        );
    }
    for threads in [2, 3, 4] {
        assert_eq!(on(threads), one, "{threads} threads");
    }
}

#[test]
fn a_call_into_code_the_block_deploys_is_analysed_like_any_other_on_any_thread_count() {
    // Init code returning runtime code `sstore(0, 1)`: PUSH6 <runtime> PUSH1 0 MSTORE
    // PUSH1 6 PUSH1 26 RETURN.
    let init = [
        0x65, 0x60, 0x01, 0x60, 0x00, 0x55, 0x00, 0x60, 0x00, 0x52, 0x60, 0x06, 0x60, 0x1a, 0xf3,
    ];
    let created = super::common::SENDER.create(0);
    let mut txs = vec![tx(None, 0, &init)];
    // Calls without input to an account with no code before the block, among plain transfers:
    // the first kind is not a plain transfer at all.
    for i in 1..40u8 {
        let to = if i % 3 == 0 {
            created
        } else {
            Address::repeat_byte(i)
        };
        txs.push(tx(Some(to), 1, &[]));
    }
    let input = block_input(state(&[]), txs);
    let on = |threads: usize| on_threads(&input, threads);
    let one = on(1);
    for (i, p) in one.iter().enumerate().skip(1) {
        let deployed = slot(created, U256::ZERO);
        let expected = (i % 3 == 0).then_some(Access::Write);
        assert_eq!(p.exact.get(&deployed), expected, "tx {i}");
    }
    for threads in [2, 3, 4] {
        assert_eq!(on(threads), one, "{threads} threads");
    }
}
