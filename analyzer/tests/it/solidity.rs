//! Real solc output (tests/fixtures/Layouts.sol, compiled by solc 0.8.26): the dispatcher and
//! Solidity's storage layout rules — packed slots, mappings, nested mappings, dynamic arrays,
//! short and long strings, an ERC721-style owner mapping.

use super::common::{SENDER, mapping_slot, run, slot, state, tx};
use alloy_primitives::{Address, Bytes, U256, keccak256};
use lanes_analyzer::{Access, AccessPrediction, PreState};

const C: Address = Address::repeat_byte(0xc0);
const X: Address = Address::repeat_byte(0x77);

fn code() -> Bytes {
    let hex = include_str!("../fixtures/Layouts.hex").trim();
    alloy_primitives::hex::decode(hex).unwrap().into()
}

/// ABI call data: selector of `signature`, then words.
fn call(signature: &str, words: &[U256]) -> Vec<u8> {
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    for w in words {
        data.extend_from_slice(&w.to_be_bytes::<32>());
    }
    data
}

fn addr(a: Address) -> U256 {
    U256::from_be_slice(a.as_slice())
}

/// The contract with the given pre-block slots.
fn pre(slots: &[(U256, U256)]) -> PreState {
    let mut pre = state(&[(C, code())]);
    pre.accounts
        .get_mut(&C)
        .unwrap()
        .storage
        .extend(slots.iter().copied());
    pre
}

fn written(p: &AccessPrediction) -> Vec<U256> {
    p.exact
        .writes
        .iter()
        .filter_map(|l| match l {
            lanes_analyzer::Location::Storage { address, slot } if *address == C => Some(*slot),
            _ => None,
        })
        .collect()
}

fn array_slot(base: u64) -> U256 {
    U256::from_be_bytes(keccak256(U256::from(base).to_be_bytes::<32>()).0)
}

#[test]
fn packed_slot() {
    let p = run(
        &pre(&[(U256::ZERO, U256::from(5))]),
        &tx(Some(C), 0, &call("setB(uint128)", &[U256::from(7)])),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(written(&p), vec![U256::ZERO]);
}

#[test]
fn mapping_and_nested_mapping() {
    let bal = mapping_slot(addr(X), U256::from(1));
    let p = run(
        &pre(&[(bal, U256::from(1))]),
        &tx(
            Some(C),
            0,
            &call("credit(address,uint256)", &[addr(X), U256::from(5)]),
        ),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(written(&p), vec![bal]);

    let inner = mapping_slot(addr(SENDER), U256::from(2));
    let allowance = mapping_slot(addr(X), inner);
    let p = run(
        &pre(&[]),
        &tx(
            Some(C),
            0,
            &call("approve(address,uint256)", &[addr(X), U256::from(9)]),
        ),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(written(&p), vec![allowance]);
    assert_eq!(p.origins.root(allowance), U256::from(2));
}

#[test]
fn dynamic_array_push() {
    let p = run(
        &pre(&[(U256::from(3), U256::from(2))]),
        &tx(Some(C), 0, &call("push(uint256)", &[U256::from(1)])),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    let mut expected = vec![U256::from(3), array_slot(3) + U256::from(2)];
    expected.sort();
    assert_eq!(written(&p), expected);
}

#[test]
fn short_and_long_strings() {
    let encode = |s: &[u8]| {
        let mut words = vec![U256::from(32), U256::from(s.len())];
        for chunk in s.chunks(32) {
            let mut w = [0u8; 32];
            w[..chunk.len()].copy_from_slice(chunk);
            words.push(U256::from_be_bytes(w));
        }
        call("setName(string)", &words)
    };
    let p = run(
        &pre(&[(U256::from(4), U256::ZERO)]),
        &tx(Some(C), 0, &encode(b"hello")),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(written(&p), vec![U256::from(4)]);

    let long = [b'x'; 40];
    let data = array_slot(4);
    let p = run(
        &pre(&[
            (U256::from(4), U256::ZERO),
            (data, U256::ZERO),
            (data + U256::from(1), U256::ZERO),
        ]),
        &tx(Some(C), 0, &encode(&long)),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    let mut expected = vec![U256::from(4), data, data + U256::from(1)];
    expected.sort();
    assert_eq!(written(&p), expected);
}

#[test]
fn erc721_style_mint_and_transfer() {
    let id = U256::from(42);
    let owner = mapping_slot(id, U256::from(5));
    let bal_sender = mapping_slot(addr(SENDER), U256::from(1));
    let bal_x = mapping_slot(addr(X), U256::from(1));
    let p = run(
        &pre(&[(owner, U256::ZERO), (bal_sender, U256::ZERO)]),
        &tx(Some(C), 0, &call("mint(uint256)", &[id])),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    let mut expected = vec![owner, bal_sender];
    expected.sort();
    assert_eq!(written(&p), expected);

    // transferFrom by a non-owner reverts: its reads remain, nothing is written.
    let p = run(
        &pre(&[(owner, addr(X))]),
        &tx(
            Some(C),
            0,
            &call(
                "transferFrom(address,address,uint256)",
                &[addr(SENDER), addr(X), id],
            ),
        ),
    );
    assert!(written(&p).is_empty());
    assert_eq!(p.exact.get(&slot(C, owner)), Some(Access::Read));

    let p = run(
        &pre(&[
            (owner, addr(X)),
            (bal_x, U256::from(1)),
            (bal_sender, U256::ZERO),
        ]),
        &tx(
            Some(C),
            0,
            &call(
                "transferFrom(address,address,uint256)",
                &[addr(X), addr(SENDER), id],
            ),
        ),
    );
    assert!(p.is_exact(), "{:?}", p.widened);
    let mut expected = vec![owner, bal_x, bal_sender];
    expected.sort();
    assert_eq!(written(&p), expected);
}

#[test]
fn unknown_selector_reverts_without_writes() {
    let p = run(&pre(&[]), &tx(Some(C), 0, &[0xde, 0xad, 0xbe, 0xef]));
    assert!(p.is_exact());
    assert!(written(&p).is_empty());
    assert!(
        p.exact
            .reads
            .iter()
            .all(|l| l.address() != C || matches!(l, lanes_analyzer::Location::Code { .. }))
    );
}
