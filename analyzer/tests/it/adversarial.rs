//! Adversarial contracts and a fuzz target: the analyzer always terminates, never panics, and
//! widens when it cuts.

use super::common::{Asm, coarse, env, run, slot, state, tx, tx_with_gas};
use alloy_primitives::{Address, Bytes, U256};
use lanes_analyzer::Access;
use lanes_analyzer::{Limits, Scope, analyze_tx};
use proptest::prelude::*;
use revm::bytecode::opcode as op;
use std::time::{Duration, Instant};

const A: Address = Address::repeat_byte(0xa0);

/// Runs `code` at `A` and checks it finished within `budget`.
fn run_timed(code: Bytes, input: &[u8], budget: Duration) -> lanes_analyzer::AccessPrediction {
    let start = Instant::now();
    let p = run(&state(&[(A, code)]), &tx(Some(A), 0, input));
    assert!(start.elapsed() < budget, "took {:?}", start.elapsed());
    p
}

fn reasons(p: &lanes_analyzer::AccessPrediction) -> Vec<&str> {
    p.widened.iter().map(|w| w.reason.as_str()).collect()
}

#[test]
fn endless_loop_runs_out_of_steps_and_widens() {
    // 30M gas pays for 7.5M steps of this loop: more than the step budget.
    let code = Asm::new().label("top").to("top").op(op::JUMP).build();
    let start = Instant::now();
    let p = run(
        &state(&[(A, code)]),
        &tx_with_gas(Some(A), 0, &[], 30_000_000),
    );
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(reasons(&p)[0].starts_with("step budget"), "{:?}", p.widened);
    assert_eq!(coarse(&p), vec![&Scope::Unknown]);
}

/// Writes slot 1, then loops forever.
fn write_then_loop() -> Bytes {
    Asm::new()
        .sstore(1, 1)
        .label("top")
        .to("top")
        .op(op::JUMP)
        .build()
}

#[test]
fn endless_loop_runs_out_of_gas_and_reverts() {
    // With 1M gas the loop cannot run past 250k steps: the transaction fails, its write is
    // undone (a read remains), and nothing widens.
    let code = write_then_loop();
    let p = run_timed(code, &[], Duration::from_secs(5));
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(p.exact.get(&slot(A, U256::from(1))), Some(Access::Read));
}

#[test]
fn callee_out_of_gas_fails_and_its_caller_goes_on() {
    // A calls B, which loops forever; B fails out of gas and A writes slot 2 after the call.
    let b = Address::repeat_byte(0xb0);
    let looping = write_then_loop();
    let caller = Asm::new()
        .call(op::CALL, b, 0)
        .sstore(2, 1)
        .op(op::STOP)
        .build();
    let start = Instant::now();
    let p = run(&state(&[(A, caller), (b, looping)]), &tx(Some(A), 0, &[]));
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(p.is_exact(), "{:?}", p.widened);
    assert_eq!(p.exact.get(&slot(A, U256::from(2))), Some(Access::Write));
    assert_eq!(p.exact.get(&slot(b, U256::from(1))), Some(Access::Read));
}

#[test]
fn loop_on_unknown_condition_is_cut_by_the_loop_budget() {
    let code = Asm::new()
        .label("top")
        .push(1)
        .push(1)
        .op(op::SSTORE)
        .op(op::GAS)
        .to("top")
        .op(op::JUMPI)
        .op(op::STOP)
        .build();
    let p = run_timed(code, &[], Duration::from_secs(5));
    assert!(
        reasons(&p).iter().any(|r| r.starts_with("loop budget")),
        "{:?}",
        p.widened
    );
    // The code cannot reach other accounts: the cut widens to its own storage only.
    assert_eq!(coarse(&p), vec![&Scope::Contract { address: A }]);
}

#[test]
fn deep_recursion_is_cut_by_the_call_depth() {
    let code = Asm::new()
        .call(op::CALL, A, 0)
        .sstore(1, 1)
        .op(op::STOP)
        .build();
    let p = run_timed(code, &[], Duration::from_secs(5));
    assert!(
        reasons(&p).iter().any(|r| r.starts_with("call depth")),
        "{:?}",
        p.widened
    );
}

#[test]
fn many_jumpdests_and_truncated_push() {
    let mut code = vec![op::JUMPDEST; 24 * 1024];
    code.extend_from_slice(&[op::PUSH2, 0x01]);
    let p = run_timed(code.into(), &[], Duration::from_secs(5));
    assert!(p.is_exact());
    // A truncated PUSH2 reads zero for its missing byte: 0x0100, then the implicit STOP.
    let code = Asm::new().raw(&[op::PUSH1, 0x05, op::PUSH2, 0x01]).build();
    let code: Bytes = [&code[..2], &[op::SSTORE], &code[2..]].concat().into();
    let p = run_timed(code, &[], Duration::from_secs(5));
    assert!(p.is_exact());
}

#[test]
fn every_truncated_push_at_the_end_is_harmless() {
    // PUSHn with fewer than n bytes left: the missing bytes read as zeros, no panic.
    for n in 1..=32u8 {
        for left in 0..n {
            let mut code = vec![op::PUSH1 + n - 1];
            code.extend(std::iter::repeat_n(0xff, usize::from(left)));
            let p = run_timed(code.into(), &[], Duration::from_secs(5));
            assert!(p.is_exact(), "PUSH{n} with {left} bytes");
        }
    }
}

#[test]
fn huge_memory_offsets_widen() {
    let code = Asm::new()
        .push(1)
        .word(U256::from(1u64) << 64)
        .op(op::MSTORE)
        .op(op::STOP)
        .build();
    let p = run_timed(code, &[], Duration::from_secs(5));
    assert!(
        reasons(&p)[0].starts_with("memory limit"),
        "{:?}",
        p.widened
    );
    let code = Asm::new()
        .push(0)
        .word(U256::MAX)
        .push(0)
        .op(op::CALLDATACOPY)
        .op(op::STOP)
        .build();
    let p = run_timed(code, &[], Duration::from_secs(5));
    assert!(p.is_exact() || reasons(&p)[0].starts_with("memory limit"));
}

#[test]
fn branch_explosion_is_bounded_by_the_path_budget() {
    // 40 independent unknown branches, each doubling the paths.
    let mut asm = Asm::new();
    let labels: Vec<&'static str> = (0..40)
        .map(|i| &*Box::leak(format!("l{i}").into_boxed_str()))
        .collect();
    for (i, l) in labels.iter().enumerate() {
        asm = asm
            .op(op::GAS)
            .to(l)
            .op(op::JUMPI)
            .sstore(i as u64, 1)
            .label(l);
    }
    let p = run_timed(asm.op(op::STOP).build(), &[], Duration::from_secs(10));
    assert!(
        reasons(&p).iter().any(|r| r.starts_with("path budget")),
        "{:?}",
        p.widened
    );
}

#[test]
fn memory_heavy_paths_do_not_fork() {
    // Touch ~2 MiB of memory, then branch on unknown values: a path that large is not cloned.
    let mut asm = Asm::new().push(1).push(2_000_000).op(op::MSTORE);
    let labels: Vec<&'static str> = (0..8)
        .map(|i| &*Box::leak(format!("m{i}").into_boxed_str()))
        .collect();
    for (i, l) in labels.iter().enumerate() {
        asm = asm
            .op(op::GAS)
            .to(l)
            .op(op::JUMPI)
            .sstore(i as u64, 1)
            .label(l);
    }
    let p = run_timed(asm.op(op::STOP).build(), &[], Duration::from_secs(10));
    assert!(
        reasons(&p).iter().any(|r| r.starts_with("path budget")),
        "{:?}",
        p.widened
    );
}

/// A few real code shapes to mutate: a dispatcher with a mapping, a proxy, a loop.
fn seeds() -> Vec<Vec<u8>> {
    vec![
        Asm::new()
            .push(0)
            .op(op::CALLDATALOAD)
            .push(0xe0)
            .op(op::SHR)
            .op(op::DUP1)
            .push(0xa905_9cbb)
            .op(op::EQ)
            .to("t")
            .op(op::JUMPI)
            .op(op::STOP)
            .label("t")
            .op(op::CALLER)
            .push(0)
            .op(op::MSTORE)
            .push(64)
            .push(0)
            .op(op::KECCAK256)
            .op(op::SLOAD)
            .push(0)
            .op(op::SSTORE)
            .op(op::STOP)
            .build()
            .to_vec(),
        alloy_primitives::hex!(
            "363d3d373d3d3d363d73a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a05af43d82803e903d91602b57fd5bf3"
        )
        .to_vec(),
        // Real solc output.
        alloy_primitives::hex::decode(include_str!("../fixtures/Layouts.hex").trim()).unwrap(),
    ]
}

proptest! {
    // 256 cases by default; a longer run: PROPTEST_CASES=100000 cargo test --release ...
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    /// Random bytecode and calldata: terminates, no panic, bounded time.
    #[test]
    fn random_bytecode_terminates(code in proptest::collection::vec(any::<u8>(), 0..512),
                                  input in proptest::collection::vec(any::<u8>(), 0..96)) {
        let limits = Limits { steps: 200_000, ..Limits::default() };
        let start = Instant::now();
        let _ = analyze_tx(&tx(Some(A), 1, &input), &env(), &state(&[(A, code.into())]), &limits);
        prop_assert!(start.elapsed() < Duration::from_secs(10));
    }

    /// Mutated real shapes: the same guarantees.
    #[test]
    fn mutated_bytecode_terminates(seed in 0usize..3, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
                                   input in proptest::collection::vec(any::<u8>(), 0..96)) {
        let mut code = seeds()[seed].clone();
        for (at, byte) in flips {
            let n = code.len();
            code[at % n] = byte;
        }
        let limits = Limits { steps: 200_000, ..Limits::default() };
        let _ = analyze_tx(&tx(Some(A), 0, &input), &env(), &state(&[(A, code.into())]), &limits);
    }
}
