//! Real compiled contracts in real blocks: WETH, USDT, the USDC proxy and a Uniswap V2 router
//! swap. Expected slots are derived here from the contracts' published storage layouts, not
//! from the analyzer.

use super::common::{mainnet_dir, mapping_slot};
use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, U256, address, b256, keccak256};
use lanes_analyzer::{Access, AccessPrediction, BlockInput, Limits, Location, analyze_block};

const WETH: Address = address!("c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2");
const USDT: Address = address!("dac17f958d2ee523a2206206994597c13d831ec7");
const USDC: Address = address!("a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
const UNI_FACTORY: Address = address!("5c69bee701ef814a2b6a3edd4b1652cb9cc5aa6f");

/// The block's predictions, or `None` when the mainnet data is absent.
fn block(number: u64) -> Option<(BlockInput, Vec<AccessPrediction>)> {
    let input = BlockInput::load(mainnet_dir(number)?).unwrap();
    let predictions = analyze_block(&input, &Limits::default());
    Some((input, predictions))
}

fn word_of(address: Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

fn storage(address: Address, slot: U256) -> Location {
    Location::storage(address, slot)
}

/// Asserts a write to `balanceOf[holder]` of `token` with the balances mapping at `base`.
fn assert_balance_write(p: &AccessPrediction, token: Address, holder: Address, base: u64) {
    let slot = mapping_slot(word_of(holder), U256::from(base));
    assert_eq!(
        p.exact.get(&storage(token, slot)),
        Some(Access::Write),
        "balanceOf[{holder}] of {token}"
    );
}

#[test]
fn weth_deposit_and_withdraw() {
    let Some((input, p)) = block(12_243_999) else {
        return;
    };
    let txs = input.transactions();
    for i in [63, 64] {
        let from = txs[i].inner.signer();
        assert!(p[i].is_exact(), "tx {i}: {:?}", p[i].widened);
        // WETH9: balanceOf at slot 3.
        assert_balance_write(&p[i], WETH, from, 3);
    }
    // deposit credits WETH's ether balance; withdraw pays it out (read and written).
    assert!(matches!(
        p[64].exact.get(&Location::balance(WETH)),
        Some(Access::Increment | Access::Write)
    ));
    assert_eq!(
        p[63].exact.get(&Location::balance(WETH)),
        Some(Access::Write)
    );
}

#[test]
fn usdt_transfer_writes_both_balances() {
    let Some((input, p)) = block(10_760_440) else {
        return;
    };
    let tx = &input.transactions()[10];
    assert_eq!(tx.to(), Some(USDT));
    let to = Address::from_slice(&tx.input()[16..36]);
    assert!(p[10].is_exact(), "{:?}", p[10].widened);
    // TetherToken: balances at slot 2.
    assert_balance_write(&p[10], USDT, tx.inner.signer(), 2);
    assert_balance_write(&p[10], USDT, to, 2);
}

#[test]
fn usdc_proxy_reads_its_implementation_and_writes_balances() {
    let Some((input, p)) = block(10_760_440) else {
        return;
    };
    let tx = &input.transactions()[54];
    assert_eq!(tx.to(), Some(USDC));
    // AdminUpgradeabilityProxy (zos) implementation slot.
    let impl_slot = U256::from_be_bytes(
        b256!("7050c9e0f4ca769c69bd3a8ef740bc37934f8e2c036e5a723fd8ee048ed3f8c3").0,
    );
    let implementation = Address::from_word(
        input.prestate.accounts[&USDC].storage[&impl_slot]
            .to_be_bytes::<32>()
            .into(),
    );
    let p = &p[54];
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(p.exact.get(&storage(USDC, impl_slot)), Some(Access::Read));
    assert_eq!(
        p.exact.get(&Location::code(implementation)),
        Some(Access::Read)
    );
    assert!(p.assumptions.contains(&storage(USDC, impl_slot)));
    // FiatTokenV2: balances at slot 9, in the proxy's storage.
    let to = Address::from_slice(&tx.input()[16..36]);
    assert_balance_write(p, USDC, tx.inner.signer(), 9);
    assert_balance_write(p, USDC, to, 9);
}

/// The Uniswap V2 pair of two tokens (CREATE2 by the factory).
fn pair_for(a: Address, b: Address) -> Address {
    let (t0, t1) = if a < b { (a, b) } else { (b, a) };
    let mut salt = Vec::with_capacity(40);
    salt.extend_from_slice(t0.as_slice());
    salt.extend_from_slice(t1.as_slice());
    UNI_FACTORY.create2(
        keccak256(&salt),
        b256!("96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"),
    )
}

#[test]
fn uniswap_v2_swap_exact_eth_for_tokens() {
    let Some((input, p)) = block(10_760_440) else {
        return;
    };
    let tx = &input.transactions()[99];
    assert_eq!(&tx.input()[..4], &[0x7f, 0xf3, 0x6a, 0xb5]);
    // (amountOutMin, path offset, to, deadline); path = [WETH, token, ...].
    let args = &tx.input()[4..];
    let offset: usize = U256::from_be_slice(&args[32..64]).to();
    let token = Address::from_slice(&args[offset + 64 + 12..offset + 96]);
    assert_eq!(
        Address::from_slice(&args[offset + 32 + 12..offset + 64]),
        WETH
    );
    let pair = pair_for(WETH, token);
    let p = &p[99];
    assert!(!p.is_widened(), "{:?}", p.widened);
    // WETH minted to the router's caller and moved into the pair.
    assert_balance_write(p, WETH, pair, 3);
    // The pair's packed reserves (slot 8) are updated.
    assert_eq!(
        p.exact.get(&storage(pair, U256::from(8))),
        Some(Access::Write)
    );
    assert_eq!(p.exact.get(&Location::code(pair)), Some(Access::Read));
}
