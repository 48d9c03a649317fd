use super::build::address;
use super::contracts::{PAIR_RESERVES, TOKEN_BALANCES, mapping_slot, selector, word_of};
use super::{Workload, WorkloadError, WorkloadKind};
use crate::exec::{PreStateDb, check_header, execute_sequential};
use alloy_consensus::Transaction as _;
use alloy_evm::{Evm, EvmEnv, EvmFactory, eth::EthEvmFactory};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use lanes_analyzer::BlockInput;
use revm::context::TxEnv;
use revm::database_interface::WrapDatabaseRef;

const ETHER: u128 = 1_000_000_000_000_000_000;

/// Calls `to` with `data` on the block's pre-state and returns the output.
fn call(input: &BlockInput, to: Address, data: Vec<u8>) -> Bytes {
    let db = PreStateDb::new(input);
    let tx = TxEnv::builder()
        .caller(Address::repeat_byte(0x77))
        .kind(TxKind::Call(to))
        .data(data.into())
        .gas_limit(1_000_000)
        .build()
        .unwrap();
    let mut evm = EthEvmFactory::default().create_evm(WrapDatabaseRef(&db), EvmEnv::default());
    let result = evm.transact_raw(tx).unwrap().result;
    assert!(result.is_success(), "{result:?}");
    result.output().unwrap().clone()
}

fn with_address(signature: &str, who: Address) -> Vec<u8> {
    let mut data = selector(signature).to_vec();
    data.extend_from_slice(&word_of(who));
    data
}

fn word(output: &Bytes, index: usize) -> U256 {
    U256::from_be_slice(&output[index * 32..(index + 1) * 32])
}

#[test]
fn every_kind_executes_with_every_transaction_succeeding() {
    // Gas bounds from the contracts: a fresh recipient's balance slot costs 22.1k on top of
    // 21k, a router swap makes five external calls and writes three balances and the reserves.
    let bounds = [
        (WorkloadKind::Raw, 21_000, 21_000),
        (WorkloadKind::Erc20, 30_000, 60_000),
        (WorkloadKind::Amm, 60_000, 150_000),
        (WorkloadKind::Mixed, 21_000, 150_000),
    ];
    for (kind, low, high) in bounds {
        for hot_ratio in [0.0, 0.3, 1.0] {
            let input = Workload::new(kind, 120)
                .with_hot_ratio(hot_ratio)
                .generate()
                .unwrap();
            assert_eq!(input.transactions().len(), 120);
            let outcome = execute_sequential(&input).unwrap();
            assert!(check_header(&input, &outcome).ok(), "{kind} {hot_ratio}");
            for (i, r) in outcome.receipts.iter().enumerate() {
                assert!(r.success, "{kind} {hot_ratio} tx {i}");
                assert!(
                    (low..=high).contains(&r.gas_used),
                    "{kind} {hot_ratio} tx {i} used {}",
                    r.gas_used
                );
            }
        }
    }
}

#[test]
fn token_storage_is_where_the_token_code_reads_it() {
    let input = Workload::new(WorkloadKind::Erc20, 20).generate().unwrap();
    let token = address("token", 0);
    let account = input.prestate.account(&token).unwrap();
    let mut holders = 0;
    for tx in input.transactions() {
        let sender = tx.inner.signer();
        let slot = mapping_slot(sender, U256::from(TOKEN_BALANCES));
        let Some(balance) = account.storage.get(&slot) else {
            continue;
        };
        holders += 1;
        let out = call(&input, token, with_address("balanceOf(address)", sender));
        assert_eq!(word(&out, 0), *balance);
        assert!(*balance > U256::ZERO);
    }
    assert!(holders > 0, "no sender holds token 0");
    let supply = call(&input, token, selector("totalSupply()").to_vec());
    let sum = input
        .transactions()
        .iter()
        .map(|tx| {
            input
                .prestate
                .storage(&token, &mapping_slot(tx.inner.signer(), U256::ZERO))
        })
        .fold(U256::ZERO, |a, b| a + b);
    assert_eq!(word(&supply, 0), sum);
    let owner = call(&input, token, selector("owner()").to_vec());
    assert_eq!(
        word(&owner, 0),
        U256::from_be_bytes(word_of(address("owner", 0)))
    );
    let name = call(&input, token, selector("name()").to_vec());
    // ABI string: offset, length, bytes.
    assert_eq!(word(&name, 1), U256::from(7));
    assert_eq!(&name[64..71], b"Token 0");
}

#[test]
fn pairs_report_their_reserves_tokens_and_allowances() {
    let input = Workload::new(WorkloadKind::Amm, 10).generate().unwrap();
    let router = address("router", 0);
    for tx in input.transactions() {
        assert_eq!(tx.inner.to(), Some(router));
        let data = tx.inner.input();
        // swapExactIn head: offset, tokenIn, amountIn, minOut, to; then length, pair.
        let token_in = Address::from_slice(&data[4 + 32 + 12..4 + 64]);
        let pair = Address::from_slice(&data[4 + 6 * 32 + 12..4 + 7 * 32]);
        let reserves = call(&input, pair, selector("getReserves()").to_vec());
        assert_eq!(word(&reserves, 0), U256::from(1_000 * ETHER));
        assert_eq!(word(&reserves, 1), U256::from(1_000 * ETHER));
        assert_eq!(word(&reserves, 2), U256::from(super::block::TIMESTAMP - 12));
        let token0 = call(&input, pair, selector("token0()").to_vec());
        let token1 = call(&input, pair, selector("token1()").to_vec());
        let (t0, t1) = (word(&token0, 0), word(&token1, 0));
        assert!(t0 < t1);
        let token_in_word = U256::from_be_bytes(word_of(token_in));
        assert!(token_in_word == t0 || token_in_word == t1);
        for token in [t0, t1] {
            let token = Address::from_word(token.into());
            let held = call(&input, token, with_address("balanceOf(address)", pair));
            assert_eq!(word(&held, 0), U256::from(1_000 * ETHER));
        }
        let mut allowance = with_address("allowance(address,address)", tx.inner.signer());
        allowance.extend_from_slice(&word_of(router));
        assert_eq!(word(&call(&input, token_in, allowance), 0), U256::MAX);
        // The packed slot agrees with what getReserves decoded.
        let packed = input.prestate.storage(&pair, &U256::from(PAIR_RESERVES));
        assert_eq!(
            packed & U256::from(u128::MAX >> 16),
            U256::from(1_000 * ETHER)
        );
    }
}

#[test]
fn hot_ratio_routes_that_many_transactions_through_one_recipient() {
    let input = Workload::new(WorkloadKind::Erc20, 100)
        .with_hot_ratio(0.25)
        .generate()
        .unwrap();
    let hot = address("hot", 0);
    let to_hot: Vec<_> = input
        .transactions()
        .iter()
        .filter(|tx| tx.inner.input()[16..36] == hot[..])
        .collect();
    assert_eq!(to_hot.len(), 25);
    let sent = to_hot
        .iter()
        .map(|tx| U256::from_be_slice(&tx.inner.input()[36..68]))
        .fold(U256::ZERO, |a, b| a + b);
    let outcome = execute_sequential(&input).unwrap();
    let token = outcome
        .post_state
        .accounts
        .get(&address("token", 0))
        .unwrap();
    let slot = mapping_slot(hot, U256::ZERO);
    assert_eq!(token.storage.get(&slot).copied(), Some(sent));
}

#[test]
fn generation_is_deterministic_per_seed() {
    let a = Workload::new(WorkloadKind::Mixed, 50).generate().unwrap();
    let b = Workload::new(WorkloadKind::Mixed, 50).generate().unwrap();
    let c = Workload::new(WorkloadKind::Mixed, 50)
        .with_seed(2)
        .generate()
        .unwrap();
    assert_eq!(a.block.header.hash, b.block.header.hash);
    assert_eq!(a.prestate, b.prestate);
    assert_ne!(a.block.header.hash, c.block.header.hash);
}

#[test]
fn bad_parameters_are_errors() {
    assert!(matches!(
        Workload::new(WorkloadKind::Raw, 5)
            .with_hot_ratio(1.5)
            .generate(),
        Err(WorkloadError::HotRatio(_))
    ));
    assert!(matches!(
        "swap".parse::<WorkloadKind>(),
        Err(WorkloadError::UnknownKind(_))
    ));
    assert_eq!("amm".parse::<WorkloadKind>().unwrap(), WorkloadKind::Amm);
    let empty = Workload::new(WorkloadKind::Amm, 0).generate().unwrap();
    assert!(empty.transactions().is_empty());
}

#[test]
fn only_the_hot_spot_serializes_the_block() {
    use crate::exec::execute_sequential_with;
    use crate::record::Recorder;
    use lanes_analyzer::{Limits, analyze_block};
    // Actual accesses, 100 transactions, 25 of them hot. ETH credits to one recipient are
    // increments and commute; token transfers to one recipient and swaps on one pair are a
    // chain of 25.
    for (kind, hot_batches) in [
        (WorkloadKind::Raw, 1..=1),
        (WorkloadKind::Erc20, 25..=25),
        (WorkloadKind::Amm, 25..=25),
        // Hot transfers and hot swaps form two chains side by side; hot ETH credits join neither.
        (WorkloadKind::Mixed, 2..=20),
    ] {
        for hot_ratio in [0.0, 0.25] {
            let input = Workload::new(kind, 100)
                .with_hot_ratio(hot_ratio)
                .generate()
                .unwrap();
            let mut actual = Vec::new();
            execute_sequential_with(
                &input,
                |_| Recorder::new(),
                |_, recorder, outcome| actual.push(recorder.finish(&outcome.state).set),
            )
            .unwrap();
            let unit = vec![1; actual.len()];
            let oracle = crate::plan(&actual, &unit).unwrap();
            if hot_ratio == 0.0 {
                assert_eq!(oracle.batches.len(), 1, "{kind}");
                // Without a hot spot the analyzer predicts the same single batch.
                let predictions = analyze_block(&input, &Limits::default());
                let predicted = crate::plan(&predictions, &unit).unwrap();
                assert_eq!(predicted.batches.len(), 1, "{kind} predicted");
            } else {
                assert!(
                    hot_batches.contains(&oracle.batches.len()),
                    "{kind}: {} batches",
                    oracle.batches.len()
                );
            }
        }
    }
}
