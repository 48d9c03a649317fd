//! Plain ETH transfers on real blocks: the accesses every transaction makes.

use super::common;

use alloy_primitives::{Address, U256};
use lanes_analyzer::{Access, BlockInput, Limits, Location, analyze_block};

#[test]
fn frontier_transfer_is_exact() {
    let Some(dir) = common::mainnet_dir(46147) else {
        return;
    };
    let input = BlockInput::load(&dir).unwrap();
    let predictions = analyze_block(&input, &Limits::default());
    assert_eq!(predictions.len(), 1);
    let p = &predictions[0];
    // Independently read from the block file: from, to, miner.
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("block.json")).unwrap()).unwrap();
    let tx = &raw["transactions"][0];
    let from: Address = tx["from"].as_str().unwrap().parse().unwrap();
    let to: Address = tx["to"].as_str().unwrap().parse().unwrap();
    let miner: Address = raw["miner"].as_str().unwrap().parse().unwrap();
    let value: U256 = tx["value"].as_str().unwrap().parse().unwrap();
    assert!(!value.is_zero());
    assert!(p.is_exact(), "{p:?}");
    assert_eq!(p.exact.get(&Location::nonce(from)), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::balance(from)), Some(Access::Write));
    assert_eq!(
        p.exact.get(&Location::balance(miner)),
        Some(Access::Increment)
    );
    assert_eq!(p.exact.get(&Location::balance(to)), Some(Access::Increment));
    // An absent recipient comes into existence: its code/existence is written.
    let pre: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("prestate.json")).unwrap()).unwrap();
    let existed = pre
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k.parse::<Address>().unwrap() == to);
    let code = if existed { Access::Read } else { Access::Write };
    assert_eq!(p.exact.get(&Location::code(to)), Some(code));
    assert_eq!(p.exact.len(), 5);
}
