//! Pure stack opcodes: arithmetic, comparison, bitwise, PUSH/DUP/SWAP/POP.
//!
//! Concrete operands give concrete results. An abstract slot label survives `+`/`-` with a
//! constant (array element offsets); anything else abstract is opaque, except where the result
//! does not depend on it (`x * 0`, `x & 0`).

use super::value::Value::{self, Known, Opaque, Slot};
use alloy_primitives::U256;
use revm::bytecode::opcode as op;
use revm::interpreter::instructions::i256::{i256_cmp, i256_div, i256_mod};
use std::cmp::Ordering;

/// Applies a binary opcode: `a` is the top of the stack, `b` the one below.
#[inline]
pub(crate) fn binary(opcode: u8, a: Value, b: Value) -> Value {
    match (a, b) {
        (Known(x), Known(y)) => Known(concrete(opcode, x, y)),
        _ => symbolic(opcode, a, b),
    }
}

/// A binary opcode with an abstract operand.
#[cold]
fn symbolic(opcode: u8, a: Value, b: Value) -> Value {
    match (a, b) {
        (Slot(r), Known(_)) | (Known(_), Slot(r)) if opcode == op::ADD => Slot(r),
        (Slot(r), Known(_)) if opcode == op::SUB => Slot(r),
        (Known(z), _) | (_, Known(z)) if z.is_zero() && matches!(opcode, op::MUL | op::AND) => {
            Value::ZERO
        }
        _ => Opaque,
    }
}

/// A binary opcode on concrete words.
#[inline]
fn concrete(opcode: u8, x: U256, y: U256) -> U256 {
    match opcode {
        op::ADD => x.wrapping_add(y),
        op::MUL => x.wrapping_mul(y),
        op::SUB => x.wrapping_sub(y),
        op::DIV => x.checked_div(y).unwrap_or_default(),
        op::SDIV => i256_div(x, y),
        op::MOD => x.checked_rem(y).unwrap_or_default(),
        op::SMOD => i256_mod(x, y),
        op::EXP => x.pow(y),
        op::SIGNEXTEND => sign_extend(x, y),
        op::LT => U256::from(x < y),
        op::GT => U256::from(x > y),
        op::SLT => U256::from(i256_cmp(&x, &y) == Ordering::Less),
        op::SGT => U256::from(i256_cmp(&x, &y) == Ordering::Greater),
        op::EQ => U256::from(x == y),
        op::AND => x & y,
        op::OR => x | y,
        op::XOR => x ^ y,
        op::BYTE => {
            let i = usize::try_from(x).unwrap_or(usize::MAX);
            if i < 32 {
                U256::from(y.byte(31 - i))
            } else {
                U256::ZERO
            }
        }
        op::SHL => shift(x).map_or(U256::ZERO, |s| y << s),
        op::SHR => shift(x).map_or(U256::ZERO, |s| y >> s),
        op::SAR => match shift(x) {
            Some(s) => y.arithmetic_shr(s),
            None if y.bit(255) => U256::MAX,
            None => U256::ZERO,
        },
        _ => U256::ZERO,
    }
}

/// ADDMOD and MULMOD: `a`, `b`, modulus `n`.
#[inline]
pub(crate) fn ternary(opcode: u8, a: Value, b: Value, n: Value) -> Value {
    match (a, b, n) {
        (Known(a), Known(b), Known(n)) => Known(if opcode == op::ADDMOD {
            a.add_mod(b, n)
        } else {
            a.mul_mod(b, n)
        }),
        _ => Opaque,
    }
}

/// ISZERO and NOT.
#[inline]
pub(crate) fn unary(opcode: u8, a: Value) -> Value {
    match a {
        Known(x) if opcode == op::ISZERO => Value::bool(x.is_zero()),
        Known(x) => Known(!x),
        _ => Opaque,
    }
}

fn shift(x: U256) -> Option<usize> {
    usize::try_from(x).ok().filter(|s| *s < 256)
}

fn sign_extend(ext: U256, x: U256) -> U256 {
    if ext < U256::from(31) {
        let bit_index = (8 * ext.as_limbs()[0] + 7) as usize;
        let mask = (U256::from(1) << bit_index) - U256::from(1);
        if x.bit(bit_index) {
            x | !mask
        } else {
            x & mask
        }
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(n: u64) -> Value {
        Known(U256::from(n))
    }

    #[test]
    fn operand_order_and_labels() {
        assert_eq!(binary(op::SUB, k(10), k(3)), k(7));
        assert_eq!(binary(op::DIV, k(10), k(0)), k(0));
        assert_eq!(binary(op::LT, k(1), k(2)), k(1));
        assert_eq!(binary(op::SHL, k(8), k(1)), k(256));
        assert_eq!(binary(op::BYTE, k(31), k(0xab)), k(0xab));
        assert_eq!(
            binary(op::ADD, Slot(U256::from(3)), k(2)),
            Slot(U256::from(3))
        );
        assert_eq!(binary(op::MUL, Opaque, k(0)), k(0));
        assert_eq!(binary(op::MUL, Opaque, k(2)), Opaque);
        assert_eq!(binary(op::SIGNEXTEND, k(0), k(0xff)), Known(U256::MAX));
        assert_eq!(binary(op::SAR, k(300), Known(U256::MAX)), Known(U256::MAX));
    }
}
