//! Message calls, contract creation and SELFDESTRUCT.

use super::data::Data;
use super::path::{Frame, FrameKind, Path, ReturnData};
use super::step::{pop, to_address};
use super::value::Value;
use super::{Control, Machine, arith};
use crate::cause::Cause;
use crate::location::{Access, Location};
use crate::prediction::Scope;
use crate::state::{ContractCode, StateView};
use alloy_primitives::{Address, B256, keccak256};
use revm::bytecode::opcode as op;
use revm::primitives::hardfork::SpecId;
use std::sync::Arc;

/// EIP-7702 delegation designator prefix.
const DELEGATION: [u8; 3] = [0xef, 0x01, 0x00];

/// The account whose code runs for `code` when it is an EIP-7702 delegation.
pub(crate) fn delegate_of(code: &ContractCode) -> Option<Address> {
    let bytes = code.bytes();
    (bytes.len() == 23 && bytes.starts_with(&DELEGATION)).then(|| Address::from_slice(&bytes[3..]))
}

/// The code an EIP-7702 authorization installs: a delegation to `delegate`.
pub(crate) fn delegation(delegate: Address) -> ContractCode {
    ContractCode::new([&DELEGATION[..], delegate.as_slice()].concat().into())
}

impl<S: StateView> Machine<'_, S> {
    /// CALL, CALLCODE, DELEGATECALL, STATICCALL.
    pub(crate) fn call(&mut self, path: &mut Path, opcode: u8) -> Control {
        let frame = path.frames.last_mut().expect("a running frame");
        let stack = &mut frame.stack;
        let _gas = pop(stack);
        let target = pop(stack);
        let value = if matches!(opcode, op::CALL | op::CALLCODE) {
            pop(stack)
        } else {
            Value::ZERO
        };
        let (in_off, in_len, out_off, out_len) = (pop(stack), pop(stack), pop(stack), pop(stack));
        let pc = frame.pc - 1;
        let (self_address, code_address, is_static) =
            (frame.address, frame.code_address, frame.is_static);
        if is_static && opcode == op::CALL && value != Value::ZERO {
            return Control::halt();
        }
        let input = match self.range(in_off, in_len) {
            Ok(Some((o, l))) => frame.memory.slice(o, l),
            Ok(None) => Data::default(),
            Err(cause) => return Control::Cut(cause),
        };
        let (ret_offset, ret_len) = match self.range(out_off, out_len) {
            Ok(Some(r)) => r,
            Ok(None) => (0, 0),
            Err(cause) => return Control::Cut(cause),
        };
        let Value::Known(word) = target else {
            self.widen(
                Scope::Unknown,
                Access::Write,
                Cause::UnknownAddress.at(pc, code_address),
            );
            return unknown_result(path, ret_offset, ret_len);
        };
        let target = to_address(word);
        let precompile = self.precompiles.contains(&target);
        if !precompile {
            path.access(Location::code(target), Access::Read);
        }
        let journal_mark = path.journal.len();
        let access_mark = path.accesses.len();
        if opcode == op::CALL
            && value == Value::ZERO
            && !path.balances.contains_key(&target)
            && !path.codes.contains_key(&target)
            && crate::tx::touch_changes_existence(self.state, self.env.spec, &target, false)
        {
            path.access(Location::code(target), Access::Write);
        }
        if value != Value::ZERO {
            let to = if opcode == op::CALL {
                target
            } else {
                self_address
            };
            self.transfer(path, self_address, to, value);
        }
        if precompile {
            return self.precompile(path, target, &input, ret_offset, ret_len);
        }
        let code = match path.codes.get(&target) {
            Some(None) => {
                self.widen(
                    Scope::Unknown,
                    Access::Write,
                    Cause::UnknownAddress.at(pc, code_address),
                );
                return unknown_result(path, ret_offset, ret_len);
            }
            Some(Some(code)) => Some(code.clone()),
            None => self.code(path, &target),
        };
        let code = match code {
            Some(code) => match delegate_of(&code) {
                Some(delegate) => {
                    path.access(Location::code(delegate), Access::Read);
                    self.code(path, &delegate)
                }
                None => Some(code),
            },
            None => None,
        };
        let Some(code) = code.filter(|c| !c.is_empty()) else {
            let frame = path.frames.last_mut().expect("a running frame");
            frame.returndata = ReturnData::Known(Arc::default());
            frame.stack.push(Value::bool(true));
            return Control::Continue;
        };
        if path.frames.len() >= self.limits.call_depth {
            let (scope, access) = if code.reaches_out() {
                (Scope::Unknown, Access::Write)
            } else {
                let storage = if opcode == op::CALL || opcode == op::STATICCALL {
                    target
                } else {
                    self_address
                };
                (Scope::Contract { address: storage }, Access::Write)
            };
            self.widen(scope, access, Cause::CallDepth.at(pc, code_address));
            return unknown_result(path, ret_offset, ret_len);
        }
        let parent = path.frames.last().expect("a running frame");
        let (address, caller, value) = match opcode {
            op::CALL | op::STATICCALL => (target, self_address, value),
            op::CALLCODE => (self_address, self_address, value),
            _ => (self_address, parent.caller, parent.value),
        };
        let frame = Frame {
            code,
            code_address: target,
            address,
            caller,
            value,
            calldata: Arc::new(input),
            is_static: is_static || opcode == op::STATICCALL,
            kind: FrameKind::Call {
                ret_offset,
                ret_len,
            },
            pc: 0,
            stack: Vec::with_capacity(128),
            memory: Data::default(),
            returndata: ReturnData::Known(Arc::default()),
            journal_mark,
            access_mark,
            gas_mark: path.gas,
            forks: alloy_primitives::map::HashMap::default(),
        };
        path.frames.push(frame);
        Control::Continue
    }

    /// Moves `value` from `from` to `to` on this path.
    fn transfer(&mut self, path: &mut Path, from: Address, to: Address, value: Value) {
        path.access(Location::balance(from), Access::Write);
        let before = self.balance(path, from, false);
        path.set_balance(from, arith::binary(op::SUB, before, value));
        if from != to {
            self.credit(path, to);
            let before = self.balance(path, to, false);
            path.set_balance(to, arith::binary(op::ADD, value, before));
        }
    }

    /// Credits `to`: an increment of its balance, and its creation if it did not exist.
    pub(crate) fn credit(&mut self, path: &mut Path, to: Address) {
        path.access(Location::balance(to), Access::Increment);
        let seen = path.codes.contains_key(&to)
            || path.nonces.contains_key(&to)
            || path.balances.contains_key(&to);
        if !seen && crate::tx::touch_changes_existence(self.state, self.env.spec, &to, true) {
            path.access(Location::code(to), Access::Write);
        }
    }

    /// A call into a precompile: computed when its input is known, unless it checks a proof.
    fn precompile(
        &mut self,
        path: &mut Path,
        target: Address,
        input: &Data,
        ret_offset: usize,
        ret_len: usize,
    ) -> Control {
        let result = if input.is_concrete() && !checks_proof(&target) {
            let precompiles = self.precompiles;
            self.memo.call(target, input.bytes(), || {
                let result = precompiles
                    .get(&target)?
                    .execute(input.bytes(), u64::MAX / 2, 0)
                    .ok()?;
                Some((result.status.is_success(), result.gas_used, result.bytes))
            })
        } else {
            None
        };
        let Some((success, gas, bytes)) = result else {
            return unknown_result(path, ret_offset, ret_len);
        };
        path.work += gas;
        let frame = path.frames.last_mut().expect("a running frame");
        let output = if success {
            Data::concrete(&bytes)
        } else {
            Data::default()
        };
        let n = ret_len.min(output.len());
        if n > 0 {
            frame.memory.write(ret_offset, &output.slice(0, n));
        }
        frame.returndata = ReturnData::Known(Arc::new(output));
        frame.stack.push(Value::bool(success));
        Control::Continue
    }

    /// CREATE and CREATE2.
    pub(crate) fn create(&mut self, path: &mut Path, opcode: u8) -> Control {
        let frame = path.frames.last_mut().expect("a running frame");
        if frame.is_static {
            return Control::halt();
        }
        let stack = &mut frame.stack;
        let (value, offset, len) = (pop(stack), pop(stack), pop(stack));
        let salt = if opcode == op::CREATE2 {
            pop(stack)
        } else {
            Value::ZERO
        };
        let pc = frame.pc - 1;
        let (creator, code_address) = (frame.address, frame.code_address);
        let init = match self.range(offset, len) {
            Ok(Some((o, l))) => frame.memory.slice(o, l),
            Ok(None) => Data::default(),
            Err(cause) => return Control::Cut(cause),
        };
        let nonce = self.nonce(path, &creator);
        let created = match (opcode, nonce, salt) {
            (op::CREATE, Some(n), _) => Some(creator.create(n)),
            (op::CREATE2, _, Value::Known(s)) if init.is_concrete() => {
                Some(creator.create2(B256::from(s), keccak256(init.bytes())))
            }
            _ => None,
        };
        path.access(Location::nonce(creator), Access::Write);
        if let Some(n) = nonce {
            path.set_nonce(creator, n + 1);
        }
        let Some(created) = created else {
            self.widen(
                Scope::Unknown,
                Access::Write,
                Cause::UnknownCreate.at(pc, code_address),
            );
            let frame = path.frames.last_mut().expect("a running frame");
            frame.returndata = ReturnData::Unknown;
            frame.stack.push(Value::Opaque);
            return Control::Continue;
        };
        let journal_mark = path.journal.len();
        let access_mark = path.accesses.len();
        path.access(Location::code(created), Access::Write);
        path.access(Location::nonce(created), Access::Write);
        if self.env.spec.is_enabled_in(SpecId::SPURIOUS_DRAGON) {
            path.set_nonce(created, 1);
        }
        if value != Value::ZERO {
            self.transfer(path, creator, created, value);
        }
        let cut = if !init.is_concrete() {
            Some(Cause::UnknownCreate)
        } else if path.frames.len() >= self.limits.call_depth {
            Some(Cause::CallDepth)
        } else {
            None
        };
        if let Some(cause) = cut {
            self.widen(Scope::Unknown, Access::Write, cause.at(pc, code_address));
            path.set_code(created, None);
            let frame = path.frames.last_mut().expect("a running frame");
            frame.returndata = ReturnData::Unknown;
            frame.stack.push(Value::Opaque);
            return Control::Continue;
        }
        let code = Arc::new(ContractCode::new(init.bytes().to_vec().into()));
        let gas_mark = path.gas;
        path.frames.push(Frame {
            code,
            code_address: created,
            address: created,
            caller: creator,
            value,
            calldata: Arc::default(),
            is_static: false,
            kind: FrameKind::Create,
            pc: 0,
            stack: Vec::with_capacity(128),
            memory: Data::default(),
            returndata: ReturnData::Known(Arc::default()),
            journal_mark,
            access_mark,
            gas_mark,
            forks: alloy_primitives::map::HashMap::default(),
        });
        Control::Continue
    }

    /// SELFDESTRUCT: the balance goes to the beneficiary.
    pub(crate) fn selfdestruct(&mut self, path: &mut Path) -> Control {
        let frame = path.frames.last_mut().expect("a running frame");
        if frame.is_static {
            return Control::halt();
        }
        let beneficiary = pop(&mut frame.stack);
        let (address, pc, code_address) = (frame.address, frame.pc - 1, frame.code_address);
        let balance = self.balance(path, address, false);
        path.access(Location::balance(address), Access::Write);
        match beneficiary {
            Value::Known(word) => {
                let to = to_address(word);
                path.access(Location::code(to), Access::Read);
                if to != address {
                    self.credit(path, to);
                    let before = self.balance(path, to, false);
                    path.set_balance(to, arith::binary(op::ADD, balance, before));
                }
            }
            _ => self.widen(
                Scope::Unknown,
                Access::Write,
                Cause::UnknownAddress.at(pc, code_address),
            ),
        }
        path.set_balance(address, Value::ZERO);
        if !self.env.spec.is_enabled_in(SpecId::CANCUN) {
            // The account is deleted at the end of the transaction: code, nonce and balance.
            path.access(Location::code(address), Access::Write);
            path.access(Location::nonce(address), Access::Write);
        }
        Control::exit(Value::bool(true), ReturnData::Known(Arc::default()))
    }
}

/// Whether a precompile is curve arithmetic or a proof check (BN254, KZG, BLS12-381): costly,
/// and its output is a verdict, or points that only feed one. Left unknown, the verdict's
/// branch is followed both ways, as a proof that fails only reverts.
fn checks_proof(target: &Address) -> bool {
    let bytes = target.as_slice();
    bytes[..19].iter().all(|b| *b == 0) && matches!(bytes[19], 0x06..=0x08 | 0x0a..=0x11)
}

/// The caller's view of a call it cannot follow: unknown success, output and return data.
fn unknown_result(path: &mut Path, ret_offset: usize, ret_len: usize) -> Control {
    let frame = path.frames.last_mut().expect("a running frame");
    frame.memory.write_opaque(ret_offset, ret_len);
    frame.returndata = ReturnData::Unknown;
    frame.stack.push(Value::Opaque);
    Control::Continue
}
