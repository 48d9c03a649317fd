//! Copies into memory and queries of other accounts: CALLDATACOPY, CODECOPY, RETURNDATACOPY,
//! BALANCE, EXTCODESIZE, EXTCODEHASH, EXTCODECOPY.

use super::data::Data;
use super::path::{Path, ReturnData};
use super::step::{pop, to_address};
use super::value::Value;
use super::{Control, Machine};
use crate::cause::Cause;
use crate::location::{Access, Location};
use crate::state::StateView;
use alloy_primitives::{U256, keccak256};
use revm::bytecode::opcode as op;

impl<S: StateView> Machine<'_, S> {
    /// CALLDATACOPY, CODECOPY, RETURNDATACOPY.
    pub(crate) fn copy(&mut self, path: &mut Path, opcode: u8) -> Control {
        let frame = path.frames.last_mut().expect("a running frame");
        let (dst, src, len) = (
            pop(&mut frame.stack),
            pop(&mut frame.stack),
            pop(&mut frame.stack),
        );
        let (d, l) = match self.range(dst, len) {
            Ok(Some(r)) => r,
            Ok(None) => return Control::Continue,
            Err(Cause::UnknownOffset) => {
                // Unknown extent: everything from the destination on is unknown.
                let from = match dst.as_usize() {
                    Some(Some(d)) => d,
                    _ => 0,
                };
                frame.memory.set_tail(from);
                return Control::Continue;
            }
            Err(cause) => return Control::Cut(cause),
        };
        let src = match src.as_usize() {
            Some(Some(s)) => Some(s),
            Some(None) => Some(usize::MAX),
            None => None,
        };
        match (opcode, src) {
            (op::CALLDATACOPY, Some(s)) => {
                let data = frame.calldata.slice(s, l);
                frame.memory.write(d, &data);
            }
            (op::CODECOPY, Some(s)) => {
                let data = Data::concrete_slice(frame.code.bytes(), s, l);
                frame.memory.write(d, &data);
            }
            (op::RETURNDATACOPY, Some(s)) => match &frame.returndata {
                ReturnData::Known(r) => {
                    if s.saturating_add(l) > r.len() {
                        return Control::halt();
                    }
                    let data = r.slice(s, l);
                    frame.memory.write(d, &data);
                }
                ReturnData::Unknown => frame.memory.write_opaque(d, l),
            },
            _ => frame.memory.write_opaque(d, l),
        }
        Control::Continue
    }

    /// BALANCE, EXTCODESIZE, EXTCODEHASH of `target`.
    pub(crate) fn account_query(&mut self, path: &mut Path, opcode: u8, target: Value) -> Value {
        let Value::Known(word) = target else {
            let frame = path.frames.last().expect("a running frame");
            let reason = Cause::UnknownAddress.at(frame.pc - 1, frame.code_address);
            let access = Access::Read;
            self.widen(crate::prediction::Scope::Unknown, access, reason);
            return Value::Opaque;
        };
        let address = to_address(word);
        if opcode == op::BALANCE {
            return self.balance(path, address, true);
        }
        path.access(Location::code(address), Access::Read);
        let code = self.code(path, &address);
        if path.codes.get(&address).is_some_and(Option::is_none) {
            return Value::Opaque;
        }
        match opcode {
            op::EXTCODESIZE => Value::from_usize(code.map_or(0, |c| c.len())),
            _ => match code {
                Some(c) => Value::Known(U256::from_be_bytes(c.hash().0)),
                None => match self.state.exists(&address) {
                    Some(true) => Value::Known(U256::from_be_bytes(keccak256([]).0)),
                    Some(false) if !path.nonces.contains_key(&address) => Value::ZERO,
                    _ => Value::Opaque,
                },
            },
        }
    }

    /// EXTCODECOPY.
    pub(crate) fn extcodecopy(&mut self, path: &mut Path) -> Control {
        let frame = path.frames.last_mut().expect("a running frame");
        let target = pop(&mut frame.stack);
        let (dst, src, len) = (
            pop(&mut frame.stack),
            pop(&mut frame.stack),
            pop(&mut frame.stack),
        );
        let code = if let Value::Known(word) = target {
            let address = to_address(word);
            path.access(Location::code(address), Access::Read);
            if path.codes.get(&address).is_some_and(Option::is_none) {
                None
            } else {
                Some(self.code(path, &address))
            }
        } else {
            let frame = path.frames.last().expect("a running frame");
            let reason = Cause::UnknownAddress.at(frame.pc - 1, frame.code_address);
            self.widen(crate::prediction::Scope::Unknown, Access::Read, reason);
            None
        };
        let (d, l) = match self.range(dst, len) {
            Ok(Some(r)) => r,
            Ok(None) => return Control::Continue,
            Err(cause) => return Control::Cut(cause),
        };
        let frame = path.frames.last_mut().expect("a running frame");
        match (code, src.as_usize()) {
            (Some(code), Some(s)) => {
                let bytes = code.as_ref().map_or(&[][..], |c| c.bytes());
                let data = Data::concrete_slice(bytes, s.unwrap_or(usize::MAX), l);
                frame.memory.write(d, &data);
            }
            _ => frame.memory.write_opaque(d, l),
        }
        Control::Continue
    }
}
