//! One opcode: the dispatcher, with the environment, memory and control-flow opcodes.

use super::arith;
use super::data::Data;
use super::path::{Path, ReturnData};
use super::value::Value;
use super::{Control, Machine};
use crate::cause::Cause;
use crate::state::{StateView, push_len};
use alloy_primitives::{Address, B256, U256, keccak256};
use revm::bytecode::opcode::{self as op, OPCODE_INFO};
use std::sync::Arc;

/// The EVM's stack limit.
const STACK_LIMIT: usize = 1024;

impl Control {
    /// An exceptional halt: the frame reverts with no output.
    pub(crate) fn halt() -> Self {
        Self::exit(Value::ZERO, ReturnData::Known(Arc::default()))
    }

    /// The frame ends with `success` and `output`.
    pub(crate) fn exit(success: Value, output: ReturnData) -> Self {
        Self::Exit(Box::new((success, output)))
    }
}

/// The address in the low 20 bytes of a word.
pub(crate) fn to_address(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

/// An address as a word.
pub(crate) fn address_word(address: Address) -> Value {
    Value::Known(U256::from_be_slice(address.as_slice()))
}

impl<S: StateView> Machine<'_, S> {
    /// A memory range `[offset, offset + len)`, `None` when empty; cuts when unknown or too big.
    pub(crate) fn range(&self, offset: Value, len: Value) -> Result<Option<(usize, usize)>, Cause> {
        match (offset, len) {
            (_, Value::Known(l)) if l.is_zero() => Ok(None),
            (Value::Known(o), Value::Known(l)) => {
                let max = self.limits.memory_bytes;
                match (usize::try_from(o), usize::try_from(l)) {
                    (Ok(o), Ok(l)) if o.saturating_add(l) <= max => Ok(Some((o, l))),
                    _ => Err(Cause::MemoryLimit),
                }
            }
            _ => Err(Cause::UnknownOffset),
        }
    }

    /// Runs the top frame's next opcode.
    pub(crate) fn step(&mut self, path: &mut Path) -> Control {
        let frame = path.frames.last_mut().expect("a running frame");
        let pc = frame.pc;
        let opcode = frame.code.bytes().get(pc).copied().unwrap_or(op::STOP);
        let Some(info) = OPCODE_INFO[usize::from(opcode)] else {
            return Control::halt();
        };
        let (inputs, outputs) = (usize::from(info.inputs()), usize::from(info.outputs()));
        let depth = frame.stack.len();
        if depth < inputs || depth - inputs + outputs > STACK_LIMIT {
            return Control::halt();
        }
        frame.pc = pc + 1 + push_len(opcode);
        let stack = &mut frame.stack;
        match opcode {
            op::STOP => return Control::exit(Value::bool(true), ReturnData::Known(Arc::default())),
            op::ADD..=op::SIGNEXTEND | op::LT..=op::SAR if inputs == 2 => {
                let a = pop(stack);
                let b = pop(stack);
                let mut v = arith::binary(opcode, a, b);
                if v == Value::Opaque && opcode == op::ADD {
                    // keccak(base) + unknown index: an element of the array at `base`.
                    if let (Value::Known(h), _) | (_, Value::Known(h)) = (a, b)
                        && let Some(base) = self.out.origins.parent(h)
                    {
                        v = Value::Slot(base);
                    }
                }
                stack.push(v);
            }
            op::ADDMOD | op::MULMOD => {
                let (a, b, n) = (pop(stack), pop(stack), pop(stack));
                stack.push(arith::ternary(opcode, a, b, n));
            }
            op::ISZERO | op::NOT => {
                let a = pop(stack);
                stack.push(arith::unary(opcode, a));
            }
            op::POP => {
                stack.pop();
            }
            op::PUSH0 => stack.push(Value::ZERO),
            op::PUSH1..=op::PUSH32 => {
                let n = push_len(opcode);
                let bytes = frame.code.bytes();
                let end = (pc + 1 + n).min(bytes.len());
                let mut buf = [0u8; 32];
                let got = &bytes[(pc + 1).min(end)..end];
                buf[32 - n..32 - n + got.len()].copy_from_slice(got);
                frame.stack.push(Value::Known(U256::from_be_bytes(buf)));
            }
            op::DUP1..=op::DUP16 => {
                let v = stack[depth - usize::from(opcode - op::DUP1) - 1];
                stack.push(v);
            }
            op::SWAP1..=op::SWAP16 => {
                let n = usize::from(opcode - op::SWAP1) + 1;
                stack.swap(depth - 1, depth - 1 - n);
            }
            op::JUMPDEST => {}
            op::JUMP => {
                let dest = pop(stack);
                return jump(frame, dest);
            }
            op::JUMPI => return self.jumpi(path, pc),
            op::PC => stack.push(Value::from_usize(pc)),
            op::MSIZE => stack.push(if frame.memory.has_tail() {
                Value::Opaque
            } else {
                Value::from_usize(frame.memory.len().div_ceil(32) * 32)
            }),
            op::GAS => stack.push(Value::Opaque),
            op::ADDRESS => stack.push(address_word(frame.address)),
            op::CALLER => stack.push(address_word(frame.caller)),
            op::ORIGIN => stack.push(address_word(self.tx.origin)),
            op::CALLVALUE => stack.push(frame.value),
            op::GASPRICE => stack.push(Value::Known(self.tx.gas_price)),
            op::CALLDATASIZE => stack.push(Value::from_usize(frame.calldata.len())),
            op::CALLDATALOAD => {
                let v = match pop(stack).as_usize() {
                    Some(Some(o)) => frame.calldata.word(o),
                    Some(None) => Value::ZERO,
                    None => Value::Opaque,
                };
                frame.stack.push(v);
            }
            op::CODESIZE => stack.push(Value::from_usize(frame.code.len())),
            op::RETURNDATASIZE => stack.push(match &frame.returndata {
                ReturnData::Known(d) => Value::from_usize(d.len()),
                ReturnData::Unknown => Value::Opaque,
            }),
            op::CALLDATACOPY | op::CODECOPY | op::RETURNDATACOPY => return self.copy(path, opcode),
            op::COINBASE => stack.push(address_word(self.env.beneficiary)),
            op::TIMESTAMP => stack.push(Value::Known(U256::from(self.env.timestamp))),
            op::NUMBER => stack.push(Value::Known(U256::from(self.env.number))),
            op::DIFFICULTY => stack.push(Value::Known(self.env.prevrandao)),
            op::GASLIMIT => stack.push(Value::Known(U256::from(self.env.gas_limit))),
            op::CHAINID => stack.push(Value::Known(U256::from(self.env.chain_id))),
            op::BASEFEE => stack.push(
                self.env
                    .base_fee
                    .map_or(Value::Opaque, |b| Value::Known(U256::from(b))),
            ),
            op::BLOBBASEFEE => stack.push(
                self.env
                    .blob_base_fee
                    .map_or(Value::Opaque, |b| Value::Known(U256::from(b))),
            ),
            op::BLOBHASH => {
                let v = match pop(stack).as_usize() {
                    Some(Some(i)) => Value::Known(
                        self.tx
                            .blob_hashes
                            .get(i)
                            .map_or(U256::ZERO, |h| U256::from_be_bytes(h.0)),
                    ),
                    Some(None) => Value::ZERO,
                    None => Value::Opaque,
                };
                frame.stack.push(v);
            }
            op::BLOCKHASH => {
                let v = match pop(stack) {
                    Value::Known(n) => self
                        .env
                        .block_hash(n)
                        .map_or(Value::Opaque, |h| Value::Known(U256::from_be_bytes(h.0))),
                    _ => Value::Opaque,
                };
                frame.stack.push(v);
            }
            op::SELFBALANCE => {
                let address = frame.address;
                let v = self.balance(path, address, true);
                push(path, v);
            }
            op::BALANCE | op::EXTCODESIZE | op::EXTCODEHASH => {
                let target = pop(stack);
                let v = self.account_query(path, opcode, target);
                push(path, v);
            }
            op::EXTCODECOPY => return self.extcodecopy(path),
            op::MLOAD => {
                let offset = pop(stack);
                return match self.range(offset, Value::Known(U256::from(32))) {
                    Ok(Some((o, _))) => {
                        let frame = path.frames.last_mut().expect("a running frame");
                        let v = frame.memory.word(o);
                        frame.memory.grow(o + 32);
                        frame.stack.push(v);
                        Control::Continue
                    }
                    Ok(None) => Control::Continue,
                    Err(Cause::UnknownOffset) => {
                        // Reading does not change state: the word is just unknown.
                        push(path, Value::Opaque);
                        Control::Continue
                    }
                    Err(cause) => Control::Cut(cause),
                };
            }
            op::MSTORE | op::MSTORE8 => {
                let (offset, value) = (pop(stack), pop(stack));
                let len = if opcode == op::MSTORE { 32 } else { 1 };
                return match self.range(offset, Value::from_usize(len)) {
                    Ok(Some((o, _))) => {
                        let frame = path.frames.last_mut().expect("a running frame");
                        if opcode == op::MSTORE {
                            frame.memory.set_word(o, value);
                        } else {
                            frame.memory.set_byte(o, value);
                        }
                        Control::Continue
                    }
                    Ok(None) => Control::Continue,
                    Err(Cause::UnknownOffset) => {
                        // Somewhere unknown: all of memory becomes unknown.
                        path.frames
                            .last_mut()
                            .expect("a running frame")
                            .memory
                            .set_tail(0);
                        Control::Continue
                    }
                    Err(cause) => Control::Cut(cause),
                };
            }
            op::MCOPY => {
                let (dst, src, len) = (pop(stack), pop(stack), pop(stack));
                let (d, s) = match (self.range(dst, len), self.range(src, len)) {
                    (Ok(Some(d)), Ok(Some(s))) => (d, s),
                    (Ok(None), _) => return Control::Continue,
                    (Err(Cause::UnknownOffset), _) | (_, Err(Cause::UnknownOffset)) => {
                        let frame = path.frames.last_mut().expect("a running frame");
                        frame.memory.set_tail(dst.as_usize().flatten().unwrap_or(0));
                        return Control::Continue;
                    }
                    (Err(cause), _) | (_, Err(cause)) => return Control::Cut(cause),
                    _ => return Control::Continue,
                };
                let frame = path.frames.last_mut().expect("a running frame");
                let data = frame.memory.slice(s.0, s.1);
                frame.memory.write(d.0, &data);
            }
            op::KECCAK256 => {
                let (offset, len) = (pop(stack), pop(stack));
                let v = match self.range(offset, len) {
                    Ok(Some((o, l))) => self.keccak(path, o, l),
                    Ok(None) => Value::Known(U256::from_be_bytes(keccak256([]).0)),
                    Err(Cause::UnknownOffset) => Value::Opaque,
                    Err(cause) => return Control::Cut(cause),
                };
                push(path, v);
            }
            op::SLOAD => {
                let key = pop(stack);
                let v = self.sload(path, key);
                push(path, v);
                if !self.alternatives.is_empty() {
                    self.follow_alternatives(path);
                }
            }
            op::SSTORE => {
                let (key, value) = (pop(stack), pop(stack));
                return self.sstore(path, key, value);
            }
            op::TLOAD => {
                let key = pop(stack);
                let v = Self::tload(path, key);
                push(path, v);
            }
            op::TSTORE => {
                let (key, value) = (pop(stack), pop(stack));
                return Self::tstore(path, key, value);
            }
            op::LOG0..=op::LOG4 => {
                if frame.is_static {
                    return Control::halt();
                }
                let (offset, len) = (pop(stack), pop(stack));
                for _ in 0..usize::from(opcode - op::LOG0) {
                    stack.pop();
                }
                // Logs are not state; only a memory range past the budget cuts.
                if let Err(Cause::MemoryLimit) = self.range(offset, len) {
                    return Control::Cut(Cause::MemoryLimit);
                }
            }
            op::RETURN | op::REVERT => {
                let (offset, len) = (pop(stack), pop(stack));
                let output = match self.range(offset, len) {
                    Ok(Some((o, l))) if l <= self.limits.return_bytes => frame.memory.slice(o, l),
                    Ok(Some(_)) => return Control::Cut(Cause::MemoryLimit),
                    Ok(None) => Data::default(),
                    Err(Cause::UnknownOffset) => {
                        let success = Value::bool(opcode == op::RETURN);
                        return Control::exit(success, ReturnData::Unknown);
                    }
                    Err(cause) => return Control::Cut(cause),
                };
                let success = Value::bool(opcode == op::RETURN);
                return Control::exit(success, ReturnData::Known(Arc::new(output)));
            }
            op::CALL | op::CALLCODE | op::DELEGATECALL | op::STATICCALL => {
                return self.call(path, opcode);
            }
            op::CREATE | op::CREATE2 => return self.create(path, opcode),
            op::SELFDESTRUCT => return self.selfdestruct(path),
            _ => return Control::halt(),
        }
        Control::Continue
    }

    /// The SLOAD just pushed an unknown value that is one of a few: one path per value (the
    /// value stays unknown if the paths budget cannot take them all).
    fn follow_alternatives(&mut self, path: &mut Path) {
        let values = std::mem::take(&mut self.alternatives);
        let memory: usize = path.frames.iter().map(|f| f.memory.len()).sum();
        if self.paths + values.len() - 1 > self.limits.paths || memory > self.limits.memory_bytes {
            return;
        }
        // Each path remembers its choice, so that reading the slot again agrees with it.
        let at = self.alternatives_at;
        for v in &values[1..] {
            let mut other = path.clone();
            if let Some(top) = other.frames.last_mut().and_then(|f| f.stack.last_mut()) {
                *top = Value::Known(*v);
            }
            other.storage.insert(at, Value::Known(*v));
            let forked = self.fork(other);
            debug_assert!(forked, "budgets were checked above");
        }
        if let Some(top) = path.frames.last_mut().and_then(|f| f.stack.last_mut()) {
            *top = Value::Known(values[0]);
        }
        path.storage.insert(at, Value::Known(values[0]));
    }

    /// JUMPI: follows a known condition; forks on an unknown one.
    #[inline]
    fn jumpi(&mut self, path: &mut Path, pc: usize) -> Control {
        let frame = path.frames.last_mut().expect("a running frame");
        let dest = pop(&mut frame.stack);
        let cond = pop(&mut frame.stack);
        match cond {
            Value::Known(c) if c.is_zero() => Control::Continue,
            Value::Known(_) => jump(frame, dest),
            _ => {
                let Some(Some(target)) = dest.as_usize() else {
                    return match dest {
                        Value::Known(_) => Control::Continue,
                        _ => Control::Cut(Cause::UnresolvedJump),
                    };
                };
                if !frame.code.is_jumpdest(target) {
                    return Control::Continue;
                }
                let count = frame.forks.entry(fork_site(frame, pc)).or_insert(0);
                *count += 1;
                if *count > self.limits.loop_forks {
                    frame.pc = pc;
                    return Control::Cut(Cause::LoopBudget);
                }
                let mut taken = path.clone();
                if let Some(f) = taken.frames.last_mut() {
                    f.pc = target;
                }
                if self.fork(taken) {
                    Control::Continue
                } else {
                    path.frames.last_mut().expect("a running frame").pc = pc;
                    Control::Cut(Cause::PathBudget)
                }
            }
        }
    }
}

/// A branch site: `pc` and the jump destinations on the stack (internal-call return addresses).
fn fork_site(frame: &super::path::Frame, pc: usize) -> u64 {
    let mut site = pc as u64;
    for v in &frame.stack {
        if let Value::Known(w) = v
            && let Ok(dest) = usize::try_from(*w)
            && frame.code.is_jumpdest(dest)
        {
            site = (site.rotate_left(5) ^ dest as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    site
}

/// Pops a value (the stack depth was checked before).
#[inline]
pub(crate) fn pop(stack: &mut Vec<Value>) -> Value {
    stack.pop().unwrap_or(Value::Opaque)
}

/// Pushes onto the top frame's stack.
#[inline]
fn push(path: &mut Path, v: Value) {
    if let Some(frame) = path.frames.last_mut() {
        frame.stack.push(v);
    }
}

/// JUMP to `dest`: a known valid destination, an invalid one halts, an unknown one cuts.
fn jump(frame: &mut super::path::Frame, dest: Value) -> Control {
    match dest.as_usize() {
        Some(Some(target)) if frame.code.is_jumpdest(target) => {
            frame.pc = target;
            Control::Continue
        }
        Some(_) => Control::halt(),
        None => {
            frame.pc -= 1;
            Control::Cut(Cause::UnresolvedJump)
        }
    }
}
