//! KECCAK256 with slot provenance, and the storage opcodes.

use super::path::Path;
use super::value::Value;
use super::{Control, Machine};
use crate::cause::Cause;
use crate::location::{Access, Location};
use crate::prediction::Scope;
use crate::state::StateView;
use alloy_primitives::U256;

impl<S: StateView> Machine<'_, S> {
    /// KECCAK256 over `[offset, offset + len)` of the top frame's memory.
    pub(crate) fn keccak(&mut self, path: &mut Path, offset: usize, len: usize) -> Value {
        let frame = path.frames.last_mut().expect("a running frame");
        if let Some(bytes) = frame.memory.concrete_range(offset, len) {
            let hash = self.memo.keccak(&bytes);
            self.out.origins.note(&bytes, hash);
            return Value::Known(hash);
        }
        let base = match len {
            64 => frame.memory.word(offset + 32),
            32 => frame.memory.word(offset),
            _ => Value::Opaque,
        };
        match base {
            Value::Known(root) if len == 64 => Value::Slot(root),
            Value::Slot(root) => Value::Slot(root),
            _ => Value::Opaque,
        }
    }

    /// SLOAD.
    pub(crate) fn sload(&mut self, path: &mut Path, key: Value) -> Value {
        let frame = path.frames.last().expect("a running frame");
        let (address, pc, code_address) = (frame.address, frame.pc - 1, frame.code_address);
        match key {
            Value::Known(slot) => {
                path.access(Location::storage(address, slot), Access::Read);
                if let Some(v) = path.storage.get(&(address, slot)) {
                    return *v;
                }
                let origins = &self.out.origins;
                if path.clobbered.iter().any(|(a, root)| {
                    *a == address && root.is_none_or(|r| origins.derives_from(slot, r))
                }) {
                    return Value::Opaque;
                }
                match self.state.storage(&address, &slot) {
                    None => {
                        if let Some(values) = self.state.storage_alternatives(&address, &slot) {
                            self.alternatives = values;
                            self.alternatives_at = (address, slot);
                        }
                        Value::Opaque
                    }
                    Some(v) => {
                        self.out.seen.push((Location::storage(address, slot), v));
                        Value::Known(v)
                    }
                }
            }
            Value::Slot(root) => {
                let reason = Cause::UnknownKey.at(pc, code_address);
                self.widen(Scope::Family { address, root }, Access::Read, reason);
                Value::Opaque
            }
            Value::Opaque => {
                let reason = Cause::UnknownSlot.at(pc, code_address);
                self.widen(Scope::Contract { address }, Access::Read, reason);
                Value::Opaque
            }
        }
    }

    /// SSTORE.
    pub(crate) fn sstore(&mut self, path: &mut Path, key: Value, value: Value) -> Control {
        let frame = path.frames.last().expect("a running frame");
        if frame.is_static {
            return Control::halt();
        }
        let (address, pc, code_address) = (frame.address, frame.pc - 1, frame.code_address);
        match key {
            Value::Known(slot) => {
                path.access(Location::storage(address, slot), Access::Write);
                path.set_storage(address, slot, value);
            }
            Value::Slot(root) => {
                let reason = Cause::UnknownKey.at(pc, code_address);
                self.widen(Scope::Family { address, root }, Access::Write, reason);
                self.clobber(path, address, Some(root));
            }
            Value::Opaque => {
                let reason = Cause::UnknownSlot.at(pc, code_address);
                self.widen(Scope::Contract { address }, Access::Write, reason);
                self.clobber(path, address, None);
            }
        }
        Control::Continue
    }

    /// Forgets what this path wrote where an unknown-slot write may have landed.
    fn clobber(&self, path: &mut Path, address: alloy_primitives::Address, root: Option<U256>) {
        let origins = &self.out.origins;
        let stale: Vec<U256> = path
            .storage
            .keys()
            .filter(|(a, s)| *a == address && root.is_none_or(|r| origins.derives_from(*s, r)))
            .map(|(_, s)| *s)
            .collect();
        for slot in stale {
            path.set_storage(address, slot, Value::Opaque);
        }
        path.clobbered.push((address, root));
    }

    /// TLOAD: transient storage is not shared state; only its value matters.
    pub(crate) fn tload(path: &Path, key: Value) -> Value {
        let frame = path.frames.last().expect("a running frame");
        match key {
            Value::Known(slot) => match path.transient.get(&(frame.address, slot)) {
                Some(v) => *v,
                None if path.transient_clobbered => Value::Opaque,
                None => Value::ZERO,
            },
            _ => Value::Opaque,
        }
    }

    /// TSTORE.
    pub(crate) fn tstore(path: &mut Path, key: Value, value: Value) -> Control {
        let frame = path.frames.last().expect("a running frame");
        if frame.is_static {
            return Control::halt();
        }
        let address = frame.address;
        if let Value::Known(slot) = key {
            path.set_transient(address, slot, value);
        } else {
            let keys: Vec<_> = path.transient.keys().copied().collect();
            for (a, s) in keys {
                path.set_transient(a, s, Value::Opaque);
            }
            path.transient_clobbered = true;
        }
        Control::Continue
    }
}
