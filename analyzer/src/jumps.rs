//! Whether a JUMPDEST byte is an opcode or PUSH data, decided from the bytes just before it.
//!
//! A full jump table decodes the code from its start; most contracts run a small part of their
//! code in a block, so the analyzer decides each jump target on its own and keeps revm's table
//! for the rare target this cannot decide. A byte `s` is certainly an opcode when none of the
//! 32 bytes before it is a PUSH whose data would cover `s` (whether that byte is itself an
//! opcode or not does not matter); decoding forward from such a byte reaches the target or
//! steps over it.

use crate::state::push_len;
use revm::bytecode::opcode::{PUSH1, PUSH32};

/// Bytes before a target searched for a certain opcode start.
const WINDOW: usize = 256;

/// Longest PUSH data.
const MAX_PUSH: usize = (PUSH32 - PUSH1 + 1) as usize;

/// Whether the byte at `s` is certainly an opcode: no byte within reach before it is a PUSH
/// long enough to cover it.
fn certainly_opcode(code: &[u8], s: usize) -> bool {
    let Some(window) = s.checked_sub(MAX_PUSH).map(|w| &code[w..s]) else {
        return (1..=s).all(|j| push_len(code[s - j]) < j);
    };
    // No early exit, so that the 32 bytes are checked at once (vectorised).
    let mut covered = false;
    for (i, &b) in window.iter().enumerate() {
        let distance = (MAX_PUSH - i) as u8;
        let len = b.wrapping_sub(PUSH1 - 1);
        covered |= b.wrapping_sub(PUSH1) < MAX_PUSH as u8 && len >= distance;
    }
    !covered
}

/// Whether `target` starts an opcode (not PUSH data), when the bytes before it decide it;
/// `None` when no certain opcode start is found within [`WINDOW`] bytes before it.
pub(crate) fn starts_opcode(code: &[u8], target: usize) -> Option<bool> {
    if target >= code.len() {
        return Some(false);
    }
    let start = (target.saturating_sub(WINDOW)..=target)
        .rev()
        .find(|&s| certainly_opcode(code, s))?;
    let mut pc = start;
    while pc < target {
        pc += 1 + push_len(code[pc]);
    }
    Some(pc == target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use revm::bytecode::opcode::JUMPDEST;

    /// Opcode starts by the definition: decode from the first byte, skipping PUSH data.
    fn reference(code: &[u8]) -> Vec<bool> {
        let mut starts = vec![false; code.len()];
        let mut pc = 0;
        while pc < code.len() {
            starts[pc] = true;
            pc += 1 + push_len(code[pc]);
        }
        starts
    }

    fn check(code: &[u8]) -> Result<(), TestCaseError> {
        let truth = reference(code);
        for (pc, &start) in truth.iter().enumerate() {
            if let Some(decided) = starts_opcode(code, pc) {
                prop_assert_eq!(decided, start, "pc {}", pc);
            }
        }
        Ok(())
    }

    proptest! {
        /// Random bytes: every decided offset agrees with the full decoding.
        #[test]
        fn agrees_with_full_decoding(code in proptest::collection::vec(any::<u8>(), 0..3000)) {
            check(&code)?;
        }

        /// Mostly PUSH32 and JUMPDEST bytes: long stretches where nothing is certain.
        #[test]
        fn agrees_on_long_pushes(
            code in proptest::collection::vec(prop_oneof![Just(0x7f_u8), Just(JUMPDEST), any::<u8>()], 1..3000)
        ) {
            check(&code)?;
        }
    }

    #[test]
    fn push_data_is_not_an_opcode() {
        // PUSH2 0x5b5b JUMPDEST
        let code = [0x61, 0x5b, 0x5b, JUMPDEST];
        assert_eq!(starts_opcode(&code, 1), Some(false));
        assert_eq!(starts_opcode(&code, 2), Some(false));
        assert_eq!(starts_opcode(&code, 3), Some(true));
        assert_eq!(starts_opcode(&code, 4), Some(false));
    }

    #[test]
    fn push32_chains_leave_targets_undecided() {
        // PUSH32 <32 x PUSH32>, repeated: every byte may be PUSH data.
        let code = vec![0x7f; 2000];
        assert_eq!(starts_opcode(&code, 1500), None);
        assert_eq!(starts_opcode(&code, 10), Some(false));
        assert_eq!(starts_opcode(&code, 33), Some(true));
    }
}
