//! `block_hashes.json`: exactly the hashes the block's BLOCKHASH calls look up, found by executing
//! the block and fetched once each.

use super::node::Node;
use alloy_primitives::{B256, U256, keccak256};
use anyhow::Context;
use lanes_analyzer::BlockInput;
use lanes_analyzer::input::BLOCK_HASHES_FILE;
use lanes_scheduler::exec::execute_sequential_with;
use revm::Inspector;
use revm::bytecode::opcode;
use revm::interpreter::interpreter_types::Jumps;
use revm::interpreter::{Interpreter, interpreter::EthInterpreter};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Rounds of execute-then-fetch before giving up: a lookup can depend on an earlier lookup's hash.
const MAX_ROUNDS: usize = 8;

#[derive(Debug, Deserialize)]
struct HashOnly {
    hash: B256,
}

/// Executes the block in `dir` until every BLOCKHASH it calls has its hash in
/// `block_hashes.json` (the file is written only when the block needs one besides its parent's).
pub(crate) async fn complete(node: &Node, dir: &Path) -> anyhow::Result<()> {
    let mut known: BTreeMap<u64, B256> = BTreeMap::new();
    for _ in 0..MAX_ROUNDS {
        let owned = dir.to_path_buf();
        let needed = tokio::task::spawn_blocking(move || needed(&owned))
            .await
            .context("the executor panicked")??;
        let missing: BTreeSet<u64> = needed
            .iter()
            .copied()
            .filter(|n| !known.contains_key(n))
            .collect();
        if missing.is_empty() {
            // With real hashes a path may skip lookups the placeholders led to: keep exactly
            // the ones this last execution made.
            if known.len() > needed.len() {
                known.retain(|n, _| needed.contains(n));
                write_hashes(dir, &known)?;
            }
            return Ok(());
        }
        for number in missing {
            let block: Option<HashOnly> = node
                .call("eth_getBlockByNumber", (format!("{number:#x}"), false))
                .await?;
            let block =
                block.with_context(|| format!("block {number} (for BLOCKHASH) does not exist"))?;
            known.insert(number, block.hash);
        }
        write_hashes(dir, &known)?;
    }
    anyhow::bail!("BLOCKHASH lookups did not settle after {MAX_ROUNDS} rounds of execution")
}

/// Writes `block_hashes.json`, or removes it when no hash is needed.
fn write_hashes(dir: &Path, hashes: &BTreeMap<u64, B256>) -> anyhow::Result<()> {
    let path = dir.join(BLOCK_HASHES_FILE);
    if hashes.is_empty() {
        return std::fs::remove_file(&path)
            .with_context(|| format!("cannot remove {}", path.display()));
    }
    std::fs::write(&path, hashes_json(hashes))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `{"<number>": "0xhash"}` in numeric order (a JSON map would sort the keys as strings).
fn hashes_json(hashes: &BTreeMap<u64, B256>) -> String {
    let entries: Vec<String> = hashes
        .iter()
        .map(|(n, h)| format!("  \"{n}\": \"{h}\""))
        .collect();
    format!("{{\n{}\n}}\n", entries.join(",\n"))
}

/// Block numbers the block in `dir` passes to BLOCKHASH that the EVM answers with a real hash
/// (the 256 blocks before it) and that are not its parent, whose hash `block.json` holds.
///
/// Hashes not fetched yet are stood in for by placeholders, so that execution goes on; a block
/// whose path depends on a hash's value may then ask for more, which the next round fetches.
fn needed(dir: &Path) -> anyhow::Result<BTreeSet<u64>> {
    let mut input = BlockInput::load(dir)?;
    let number = input.block.header.number;
    let oldest = number.saturating_sub(256);
    for n in oldest..number {
        input
            .block_hashes
            .entry(n)
            .or_insert_with(|| keccak256(format!("lanes placeholder for block {n}")));
    }
    let mut numbers = BTreeSet::new();
    execute_sequential_with(
        &input,
        |_| BlockhashCalls::default(),
        |_, calls: &BlockhashCalls, _| numbers.extend(calls.numbers.iter().copied()),
    )
    .context("cannot execute the block to find its BLOCKHASH lookups")?;
    Ok(numbers
        .into_iter()
        .filter_map(|n| u64::try_from(n).ok())
        .filter(|&n| n >= oldest && n + 1 < number)
        .collect())
}

/// Records the operand of every BLOCKHASH a transaction executes.
#[derive(Debug, Default)]
struct BlockhashCalls {
    numbers: BTreeSet<U256>,
}

impl<CTX> Inspector<CTX, EthInterpreter> for BlockhashCalls {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        if interp.bytecode.opcode() == opcode::BLOCKHASH
            && let Some(&top) = interp.stack.data().last()
        {
            self.numbers.insert(top);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_written_in_numeric_order() {
        let hashes = BTreeMap::from([
            (61, B256::with_last_byte(1)),
            (317, B256::with_last_byte(2)),
        ]);
        let text = hashes_json(&hashes);
        let parsed: BTreeMap<String, B256> = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed.len(), 2);
        assert!(text.find("\"61\"") < text.find("\"317\""));
    }
}
