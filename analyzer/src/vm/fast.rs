//! The interpreter's fast lane: opcodes on concrete words that touch only the top frame's
//! stack and pc (PUSH, DUP, SWAP, POP, JUMPDEST, arithmetic, decided jumps) run in a tight
//! loop over the frame, without the general step's dispatch. Anything else, including every
//! case that halts, cuts or forks, is left to the general step, which does exactly what it
//! would have done.

use super::Machine;
use super::arith;
use super::path::Path;
use super::step::address_word;
use super::value::Value;
use crate::state::{StateView, push_len};
use alloy_primitives::U256;
use revm::bytecode::opcode as op;

/// The EVM's stack limit.
const STACK_LIMIT: usize = 1024;

impl<S: StateView> Machine<'_, S> {
    /// Runs fast-lane opcodes of the top frame until the next one is not, or the step count
    /// reaches `budget`.
    pub(crate) fn run_fast(&mut self, path: &mut Path, budget: u64) {
        let Some(frame) = path.frames.last_mut() else {
            return;
        };
        let code = &frame.code;
        let bytes = code.bytes();
        let stack = &mut frame.stack;
        let memory = &mut frame.memory;
        let max_memory = self.limits.memory_bytes;
        let mut pc = frame.pc;
        let mut steps = self.steps;
        while steps < budget {
            let Some(&opcode) = bytes.get(pc) else {
                break;
            };
            let depth = stack.len();
            match opcode {
                op::PUSH0 if depth < STACK_LIMIT => {
                    stack.push(Value::ZERO);
                    pc += 1;
                }
                op::PUSH1..=op::PUSH32 if depth < STACK_LIMIT => {
                    let n = push_len(opcode);
                    let end = (pc + 1 + n).min(bytes.len());
                    let got = &bytes[pc + 1..end];
                    let word = if n <= 8 && got.len() == n {
                        // Most pushes are short: a u64 is cheaper than a 32-byte buffer (and
                        // than a 256-bit shift, which costs as much again).
                        U256::from(got.iter().fold(0u64, |v, b| v << 8 | u64::from(*b)))
                    } else {
                        // Bytes past the end of the code read as zeros.
                        let mut buf = [0u8; 32];
                        buf[32 - n..32 - n + got.len()].copy_from_slice(got);
                        U256::from_be_bytes(buf)
                    };
                    stack.push(Value::Known(word));
                    pc += 1 + n;
                }
                op::DUP1..=op::DUP16 => {
                    let n = usize::from(opcode - op::DUP1) + 1;
                    if depth < n || depth >= STACK_LIMIT {
                        break;
                    }
                    stack.push(stack[depth - n]);
                    pc += 1;
                }
                op::SWAP1..=op::SWAP16 => {
                    let n = usize::from(opcode - op::SWAP1) + 1;
                    if depth <= n {
                        break;
                    }
                    stack.swap(depth - 1, depth - 1 - n);
                    pc += 1;
                }
                op::POP if depth >= 1 => {
                    stack.pop();
                    pc += 1;
                }
                op::JUMPDEST => pc += 1,
                op::JUMP if depth >= 1 => match destination(code, stack[depth - 1]) {
                    Some(target) => {
                        stack.pop();
                        pc = target;
                    }
                    None => break,
                },
                op::JUMPI if depth >= 2 => match stack[depth - 2] {
                    Value::Known(c) if c.is_zero() => {
                        stack.truncate(depth - 2);
                        pc += 1;
                    }
                    Value::Known(_) => match destination(code, stack[depth - 1]) {
                        Some(target) => {
                            stack.truncate(depth - 2);
                            pc = target;
                        }
                        None => break,
                    },
                    _ => break,
                },
                // The commonest operations, computed in place; the rest through `arith`.
                op::ADD if depth >= 2 => {
                    if !binary(stack, U256::wrapping_add) {
                        break;
                    }
                    pc += 1;
                }
                op::SUB if depth >= 2 => {
                    if !binary(stack, U256::wrapping_sub) {
                        break;
                    }
                    pc += 1;
                }
                op::AND if depth >= 2 => {
                    if !binary(stack, |x, y| x & y) {
                        break;
                    }
                    pc += 1;
                }
                op::OR if depth >= 2 => {
                    if !binary(stack, |x, y| x | y) {
                        break;
                    }
                    pc += 1;
                }
                op::EQ if depth >= 2 => {
                    if !binary(stack, |x, y| U256::from(x == y)) {
                        break;
                    }
                    pc += 1;
                }
                op::LT if depth >= 2 => {
                    if !binary(stack, |x, y| U256::from(x < y)) {
                        break;
                    }
                    pc += 1;
                }
                op::GT if depth >= 2 => {
                    if !binary(stack, |x, y| U256::from(x > y)) {
                        break;
                    }
                    pc += 1;
                }
                op::MUL
                | op::DIV
                | op::SDIV
                | op::MOD
                | op::SMOD
                | op::EXP
                | op::SIGNEXTEND
                | op::SLT
                | op::SGT
                | op::XOR
                | op::BYTE
                | op::SHL
                | op::SHR
                | op::SAR
                    if depth >= 2 =>
                {
                    let (a, b) = (stack[depth - 1], stack[depth - 2]);
                    if !matches!((a, b), (Value::Known(_), Value::Known(_))) {
                        break;
                    }
                    stack.truncate(depth - 2);
                    stack.push(arith::binary(opcode, a, b));
                    pc += 1;
                }
                // Memory words at known offsets within the budget (else: cut or unknown).
                op::MLOAD if depth >= 1 => match memory_offset(stack[depth - 1], max_memory) {
                    Some(o) => {
                        stack[depth - 1] = memory.word(o);
                        memory.grow(o + 32);
                        pc += 1;
                    }
                    None => break,
                },
                op::MSTORE if depth >= 2 => match memory_offset(stack[depth - 1], max_memory) {
                    Some(o) => {
                        memory.set_word(o, stack[depth - 2]);
                        stack.truncate(depth - 2);
                        pc += 1;
                    }
                    None => break,
                },
                op::CALLDATALOAD if depth >= 1 => {
                    stack[depth - 1] = match stack[depth - 1].as_usize() {
                        Some(Some(o)) => frame.calldata.word(o),
                        Some(None) => Value::ZERO,
                        None => Value::Opaque,
                    };
                    pc += 1;
                }
                op::CALLVALUE if depth < STACK_LIMIT => {
                    stack.push(frame.value);
                    pc += 1;
                }
                op::CALLER if depth < STACK_LIMIT => {
                    stack.push(address_word(frame.caller));
                    pc += 1;
                }
                op::ADDRESS if depth < STACK_LIMIT => {
                    stack.push(address_word(frame.address));
                    pc += 1;
                }
                op::CALLDATASIZE if depth < STACK_LIMIT => {
                    stack.push(Value::from_usize(frame.calldata.len()));
                    pc += 1;
                }
                op::ISZERO | op::NOT if depth >= 1 => {
                    let a = stack[depth - 1];
                    if !matches!(a, Value::Known(_)) {
                        break;
                    }
                    stack[depth - 1] = arith::unary(opcode, a);
                    pc += 1;
                }
                _ => break,
            }
            steps += 1;
        }
        frame.pc = pc;
        self.steps = steps;
    }
}

/// Replaces the top two words, both known, by `f(top, second)`; false (the stack untouched)
/// if either is abstract. The caller checked that there are two.
#[inline]
fn binary(stack: &mut Vec<Value>, f: impl FnOnce(U256, U256) -> U256) -> bool {
    let depth = stack.len();
    let (Value::Known(x), Value::Known(y)) = (stack[depth - 1], stack[depth - 2]) else {
        return false;
    };
    stack[depth - 2] = Value::Known(f(x, y));
    stack.truncate(depth - 1);
    true
}

/// A known memory offset whose word lies within the memory budget.
#[inline]
fn memory_offset(offset: Value, max: usize) -> Option<usize> {
    let o = usize::try_from(offset.known()?).ok()?;
    (o.saturating_add(32) <= max).then_some(o)
}

/// A known, valid jump destination.
#[inline]
fn destination(code: &crate::state::ContractCode, dest: Value) -> Option<usize> {
    let Value::Known(w) = dest else {
        return None;
    };
    let target = usize::try_from(w).ok()?;
    code.is_jumpdest(target).then_some(target)
}
