//! Storage slots: constants, mappings (nested), arrays, key provenance, branches.

use super::common::{Asm, SENDER, coarse, mapping_slot, run, slot, state, tx};
use alloy_primitives::{Address, U256, keccak256};
use lanes_analyzer::{Access, Location, Scope};
use revm::bytecode::opcode as op;

const C: Address = Address::repeat_byte(0xc0);

fn word(n: u64) -> [u8; 32] {
    U256::from(n).to_be_bytes()
}

#[test]
fn mapping_with_calldata_key_is_exact() {
    // balances[calldata[4..36]] = balances[...] + 1, balances at slot 1.
    let code = Asm::new()
        .push(4)
        .op(op::CALLDATALOAD)
        .push(0)
        .op(op::MSTORE)
        .push(1)
        .push(32)
        .op(op::MSTORE)
        .push(64)
        .push(0)
        .op(op::KECCAK256)
        .op(op::DUP1)
        .op(op::SLOAD)
        .push(1)
        .op(op::ADD)
        .op(op::SWAP1)
        .op(op::SSTORE)
        .op(op::STOP)
        .build();
    let pre = state(&[(C, code)]);
    let mut input = vec![0xa9, 0x05, 0x9c, 0xbb];
    input.extend_from_slice(&word(0x1234));
    let p = run(&pre, &tx(Some(C), 0, &input));
    let expected = slot(C, mapping_slot(U256::from(0x1234), U256::from(1)));
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(p.exact.get(&expected), Some(Access::Write));
    assert_eq!(p.exact.get(&Location::code(C)), Some(Access::Read));
    assert_eq!(p.exact.get(&Location::nonce(SENDER)), Some(Access::Write));
    // sender nonce + balance, coinbase, code, the slot.
    assert_eq!(p.exact.len(), 5);
    // The slot's origin is known.
    assert_eq!(p.origins.root(expected_slot(&expected)), U256::from(1));
}

fn expected_slot(l: &Location) -> U256 {
    match l {
        Location::Storage { slot, .. } => *slot,
        _ => U256::ZERO,
    }
}

#[test]
fn unknown_key_widens_to_the_family_only() {
    // x[gas()] = 1 with x at slot 3; then a plain write to slot 3.
    let code = Asm::new()
        .op(op::GAS)
        .push(0)
        .op(op::MSTORE)
        .push(3)
        .push(32)
        .op(op::MSTORE)
        .push(1)
        .push(64)
        .push(0)
        .op(op::KECCAK256)
        .op(op::SSTORE)
        .sstore(3, 9)
        .op(op::STOP)
        .build();
    let p = run(&state(&[(C, code)]), &tx(Some(C), 0, &[]));
    assert!(coarse(&p).is_empty(), "{:?}", p.widened);
    let family = Scope::Family {
        address: C,
        root: U256::from(3),
    };
    assert!(
        p.widened
            .iter()
            .any(|w| w.scope == family && w.access == Access::Write)
    );
    assert!(p.widened[0].reason.starts_with("unknown key at pc 0x"));
    // The family covers any key's slot, never slot 3 itself nor another root's slots.
    let mut origins = lanes_analyzer::SlotOrigins::default();
    let mut pre = [0u8; 64];
    pre[..32].copy_from_slice(&word(777));
    pre[32..].copy_from_slice(&word(3));
    let some_key = origins.observe(&pre);
    pre[32..].copy_from_slice(&word(4));
    let other_root = origins.observe(&pre);
    let w = Access::Write;
    assert!(p.covers(&slot(C, some_key), w, &origins));
    assert!(!p.covers(&slot(C, other_root), w, &origins));
    assert_eq!(p.exact.get(&slot(C, U256::from(3))), Some(Access::Write));
    assert!(!p.covers(&slot(C, U256::from(4)), Access::Read, &origins));
}

#[test]
fn nested_mapping_and_array_keep_the_root() {
    // allowance[caller][gas()] (root 2), then arr[gas()] with arr at slot 5 (keccak(5) + i).
    let code = Asm::new()
        .op(op::CALLER)
        .push(0)
        .op(op::MSTORE)
        .push(2)
        .push(32)
        .op(op::MSTORE)
        .push(64)
        .push(0)
        .op(op::KECCAK256)
        .push(32)
        .op(op::MSTORE)
        .op(op::GAS)
        .push(0)
        .op(op::MSTORE)
        .push(64)
        .push(0)
        .op(op::KECCAK256)
        .op(op::SLOAD)
        .op(op::POP)
        .push(5)
        .push(0)
        .op(op::MSTORE)
        .push(32)
        .push(0)
        .op(op::KECCAK256)
        .op(op::GAS)
        .op(op::ADD)
        .op(op::SLOAD)
        .op(op::STOP)
        .build();
    let p = run(&state(&[(C, code)]), &tx(Some(C), 0, &[]));
    let inner = mapping_slot(U256::from_be_slice(SENDER.as_slice()), U256::from(2));
    let scopes: Vec<_> = p.widened.iter().map(|w| (w.scope, w.access)).collect();
    assert!(
        scopes.contains(&(
            Scope::Family {
                address: C,
                root: inner
            },
            Access::Read
        )),
        "{scopes:?}"
    );
    assert!(scopes.contains(&(
        Scope::Family {
            address: C,
            root: U256::from(5)
        },
        Access::Read
    )));
    assert!(coarse(&p).is_empty());
    // keccak(5) was observed with base 5, so element slots derive from 5.
    let first = U256::from_be_bytes(keccak256(word(5)).0);
    assert!(p.origins.derives_from(first + U256::from(7), U256::from(5)));
}

#[test]
fn packed_slot_and_string_storage_are_plain_and_derived_slots() {
    // Packed: read slot 0, mask, or, write back slot 0. Long string at slot 6: keccak(6) + 1.
    let code = Asm::new()
        .push(0)
        .op(op::SLOAD)
        .push(0xff)
        .op(op::NOT)
        .op(op::AND)
        .push(0x01)
        .op(op::OR)
        .push(0)
        .op(op::SSTORE)
        .push(6)
        .push(0)
        .op(op::MSTORE)
        .push(32)
        .push(0)
        .op(op::KECCAK256)
        .push(1)
        .op(op::ADD)
        .op(op::SLOAD)
        .op(op::STOP)
        .build();
    let p = run(&state(&[(C, code)]), &tx(Some(C), 0, &[]));
    // Slot 0 of an account listed without that slot is unknown: still an exact location.
    assert_eq!(p.exact.get(&slot(C, U256::ZERO)), Some(Access::Write));
    let data = U256::from_be_bytes(keccak256(word(6)).0) + U256::from(1);
    assert_eq!(p.exact.get(&slot(C, data)), Some(Access::Read));
    assert!(p.is_exact());
}

#[test]
fn both_sides_of_an_unknown_branch() {
    let code = Asm::new()
        .op(op::GAS)
        .to("other")
        .op(op::JUMPI)
        .sstore(1, 1)
        .op(op::STOP)
        .label("other")
        .sstore(2, 1)
        .op(op::STOP)
        .build();
    let p = run(&state(&[(C, code)]), &tx(Some(C), 0, &[]));
    assert!(p.is_exact());
    assert_eq!(p.exact.get(&slot(C, U256::from(1))), Some(Access::Write));
    assert_eq!(p.exact.get(&slot(C, U256::from(2))), Some(Access::Write));
}

#[test]
fn known_branch_takes_one_side_from_prestate_storage() {
    // if (sload(0) != 0) sstore(1) else sstore(2); slot 0 is 5 in the pre-state.
    let code = Asm::new()
        .push(0)
        .op(op::SLOAD)
        .to("set")
        .op(op::JUMPI)
        .sstore(2, 1)
        .op(op::STOP)
        .label("set")
        .sstore(1, 1)
        .op(op::STOP)
        .build();
    let mut pre = state(&[(C, code)]);
    pre.accounts
        .get_mut(&C)
        .unwrap()
        .storage
        .insert(U256::ZERO, U256::from(5));
    let p = run(&pre, &tx(Some(C), 0, &[]));
    assert_eq!(p.exact.get(&slot(C, U256::from(1))), Some(Access::Write));
    assert_eq!(p.exact.get(&slot(C, U256::from(2))), None);
    assert!(p.assumptions.contains(&slot(C, U256::ZERO)));
}

#[test]
fn reverted_writes_become_reads() {
    let code = Asm::new()
        .sstore(1, 1)
        .push(0)
        .push(0)
        .op(op::REVERT)
        .build();
    let p = run(&state(&[(C, code)]), &tx(Some(C), 5, &[]));
    assert_eq!(p.exact.get(&slot(C, U256::from(1))), Some(Access::Read));
    // The value credit is undone with the frame.
    assert_eq!(p.exact.get(&Location::balance(C)), None);
}

#[test]
fn unresolved_jump_widens_with_its_pc_and_address() {
    let code = Asm::new().sstore(1, 1).op(op::GAS).op(op::JUMP).build();
    let p = run(&state(&[(C, code)]), &tx(Some(C), 0, &[]));
    assert_eq!(
        p.widened[0].reason,
        format!("unresolved jump at pc 0x6 in {C}")
    );
    // No calls in this code: the widening stays inside its own storage.
    assert_eq!(p.widened[0].scope, Scope::Contract { address: C });
}
