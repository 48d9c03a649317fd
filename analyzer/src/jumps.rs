//! Valid JUMPDEST offsets of legacy bytecode: a JUMPDEST byte that is an opcode, not PUSH data.
//!
//! Finding them means decoding the code from its start, one opcode after another: each step
//! waits for the previous one. To let the processor overlap that work, long code is decoded as
//! several segments at once, each from a guessed start; a segment's decoding agrees with the
//! true one from the first opcode both share (decodings of EVM code meet within a few
//! opcodes), and the few bytes before that are redone from the true decoding. A segment
//! whose guess does not meet the true decoding within a window is decoded again in full.

use revm::bytecode::opcode::{JUMPDEST, PUSH1, PUSH32};

/// Segments decoded at once.
const SEGMENTS: usize = 4;
/// Bytes at a segment's start within which its guessed decoding must meet the true one.
const WINDOW: usize = 64;
/// Shorter code is decoded in one pass.
const MIN_SPLIT: usize = 256 * SEGMENTS;

/// Bytes from an opcode to the next one, by opcode.
const STEP: [u8; 256] = {
    let mut table = [1u8; 256];
    let mut op = PUSH1;
    while op <= PUSH32 {
        table[op as usize] = op - PUSH1 + 2;
        op += 1;
    }
    table
};

/// One bit per byte of `code`: set where a valid JUMPDEST is.
pub(crate) fn jump_table(code: &[u8]) -> Box<[u64]> {
    let len = code.len();
    let mut bits = vec![0u64; len.div_ceil(64)].into_boxed_slice();
    if len < MIN_SPLIT {
        decode(code, &mut bits, 0, len);
        return bits;
    }
    let seg = len / SEGMENTS;
    let starts: [usize; SEGMENTS] = std::array::from_fn(|i| i * seg);
    let ends: [usize; SEGMENTS] = std::array::from_fn(|i| {
        if i + 1 == SEGMENTS {
            len
        } else {
            (i + 1) * seg
        }
    });
    // Where each guessed decoding starts opcodes within its window.
    let mut opcodes = [0u64; SEGMENTS];
    let mut pcs = starts;
    for i in 1..SEGMENTS {
        let mut pc = starts[i];
        while pc < starts[i] + WINDOW {
            opcodes[i] |= 1 << (pc - starts[i]);
            pc = mark(code, &mut bits, pc);
        }
        pcs[i] = pc;
    }
    while (0..SEGMENTS).all(|i| pcs[i] < ends[i]) {
        for pc in &mut pcs {
            *pc = mark(code, &mut bits, *pc);
        }
    }
    for i in 0..SEGMENTS {
        pcs[i] = decode(code, &mut bits, pcs[i], ends[i]);
    }
    // The first segment's decoding is the true one; `truth` is the true decoding's first
    // opcode at or after the next segment's start.
    let mut truth = pcs[0];
    for i in 1..SEGMENTS {
        let start = starts[i];
        let mut pc = truth;
        let met = loop {
            if pc >= start + WINDOW {
                break None;
            }
            if opcodes[i] >> (pc - start) & 1 == 1 {
                break Some(pc);
            }
            pc += usize::from(STEP[usize::from(code[pc])]);
        };
        let redo = met.unwrap_or(ends[i]);
        for pc in start..redo {
            bits[pc / 64] &= !(1 << (pc % 64));
        }
        let end = decode(code, &mut bits, truth, redo);
        truth = if met.is_some() { pcs[i] } else { end };
    }
    bits
}

/// Marks `pc` if it is a JUMPDEST; returns the next opcode's offset.
#[inline]
fn mark(code: &[u8], bits: &mut [u64], pc: usize) -> usize {
    let op = code[pc];
    if op == JUMPDEST {
        bits[pc / 64] |= 1 << (pc % 64);
    }
    pc + usize::from(STEP[usize::from(op)])
}

/// Decodes from `pc` while before `end`, marking JUMPDESTs; returns the first offset reached
/// at or after `end`.
fn decode(code: &[u8], bits: &mut [u64], mut pc: usize, end: usize) -> usize {
    while pc < end {
        pc = mark(code, bits, pc);
    }
    pc
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JUMPDEST offsets by the definition: opcodes equal to JUMPDEST, skipping PUSH data.
    fn reference(code: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pc = 0;
        while pc < code.len() {
            if code[pc] == JUMPDEST {
                out.push(pc);
            }
            pc += 1 + crate::state::push_len(code[pc]);
        }
        out
    }

    fn valid(code: &[u8]) -> Vec<usize> {
        let bits = jump_table(code);
        (0..code.len())
            .filter(|pc| bits[pc / 64] >> (pc % 64) & 1 == 1)
            .collect()
    }

    proptest! {
        /// Random bytes, short and long enough to be decoded in segments.
        #[test]
        fn matches_the_definition(code in proptest::collection::vec(any::<u8>(), 0..5000)) {
            prop_assert_eq!(valid(&code), reference(&code));
        }

        /// Mostly PUSH32 and JUMPDEST bytes: segments whose guess never meets the true decoding.
        #[test]
        fn matches_the_definition_on_long_pushes(
            code in proptest::collection::vec(prop_oneof![Just(0x7f_u8), Just(JUMPDEST), any::<u8>()], 1000..5000)
        ) {
            prop_assert_eq!(valid(&code), reference(&code));
        }
    }

    #[test]
    fn push32_chains_hide_jumpdests() {
        // PUSH32 <32 x JUMPDEST>, repeated: no JUMPDEST is an opcode; every guessed segment
        // start inside push data never meets the true decoding.
        let mut code = Vec::new();
        for _ in 0..100 {
            code.push(0x7f);
            code.extend([JUMPDEST; 32]);
        }
        code.push(JUMPDEST);
        assert_eq!(valid(&code), vec![3300]);
        assert_eq!(reference(&code), vec![3300]);
    }

    #[test]
    fn a_segment_that_never_meets_the_true_decoding_is_redone() {
        // STOP, then PUSH32 opcodes whose data is PUSH32 bytes: a guess inside push data
        // decodes PUSH32s forever, 1..32 bytes off the true ones.
        let mut code = vec![0x00];
        code.extend([0x7f; 3300]);
        code.push(JUMPDEST);
        assert!((1..SEGMENTS).all(|i| !(i * (code.len() / SEGMENTS) - 1).is_multiple_of(33)));
        assert_eq!(valid(&code), vec![3301]);
        assert_eq!(reference(&code), vec![3301]);
    }
}
