//! Interpreter throughput on a tight concrete loop, against revm on the same code.
//!
//! `cargo run --release -p lanes-analyzer --example steps`

use alloy_consensus::{Signed, TxEnvelope, TxLegacy, transaction::Recovered};
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};
use alloy_rpc_types_eth::Transaction;
use lanes_analyzer::{BlockEnv, Limits, PreAccount, PreState, analyze_tx};
use revm::bytecode::Bytecode;
use revm::context::{Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::state::AccountInfo;
use revm::{ExecuteEvm, MainBuilder, MainContext};
use std::time::Instant;

fn main() {
    let n: u32 = 200_000;
    // i = 0; do { mstore(0, i); i += 1 } while (i < n)
    let mut code = vec![
        0x60, 0x00, 0x5b, 0x80, 0x60, 0x00, 0x52, 0x60, 0x01, 0x01, 0x80, 0x62,
    ];
    code.extend_from_slice(&n.to_be_bytes()[1..]);
    code.extend_from_slice(&[0x11, 0x61, 0x00, 0x02, 0x57, 0x00]);
    let code = Bytes::from(code);
    let to = Address::repeat_byte(0xc0);
    let from = Address::repeat_byte(0x51);
    let mut pre = PreState::default();
    pre.accounts.insert(
        to,
        PreAccount {
            code: code.clone(),
            ..PreAccount::default()
        },
    );
    pre.accounts.insert(
        from,
        PreAccount {
            balance: U256::from(10).pow(U256::from(20)),
            ..PreAccount::default()
        },
    );
    let inner = TxLegacy {
        gas_limit: 30_000_000,
        to: TxKind::Call(to),
        gas_price: 1,
        ..TxLegacy::default()
    };
    let tx = Transaction {
        inner: Recovered::new_unchecked(
            TxEnvelope::Legacy(Signed::new_unhashed(inner, Signature::test_signature())),
            from,
        ),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: Some(1),
        block_timestamp: None,
    };
    let env = BlockEnv {
        gas_limit: 30_000_000,
        ..BlockEnv::default()
    };
    let limits = Limits {
        steps: 10_000_000,
        ..Limits::default()
    };
    let start = Instant::now();
    let p = analyze_tx(&tx, &env, &pre, &limits);
    let ours = start.elapsed();
    assert!(p.widened.is_empty());
    if std::env::var_os("ONLY_OURS").is_some() {
        println!("ours {ours:?}");
        return;
    }

    let mut db = CacheDB::new(EmptyDB::default());
    let bytecode = Bytecode::new_raw(code);
    db.insert_account_info(
        to,
        AccountInfo {
            code_hash: bytecode.hash_slow(),
            code: Some(bytecode),
            ..Default::default()
        },
    );
    db.insert_account_info(
        from,
        AccountInfo {
            balance: U256::from(10).pow(U256::from(20)),
            ..Default::default()
        },
    );
    let mut evm = Context::mainnet().with_db(db).build_mainnet();
    let start = Instant::now();
    let out = evm.transact(
        TxEnv::builder()
            .caller(from)
            .kind(TxKind::Call(to))
            .gas_limit(16_000_000)
            .gas_price(1)
            .build()
            .unwrap(),
    );
    let theirs = start.elapsed();
    println!(
        "steps ~{} ours {ours:?} revm {theirs:?} ({:?})",
        n * 10,
        out.map(|o| o.result.is_success())
    );
}
