//! The recorder against revm's own bookkeeping on every shared mainnet block (skipped with a
//! note when `../shared/mainnet` is absent):
//! - every storage slot revm loaded for a transaction is in its actual set (the step hook saw
//!   every SLOAD and SSTORE);
//! - every location the block changed (its post-state) is written or incremented by some
//!   transaction, apart from what happens outside transactions (block and uncle rewards,
//!   withdrawals, system contracts).

use alloy_primitives::{Address, U256};
use lanes_analyzer::{AccessSet, BlockInput, Location};
use lanes_scheduler::Recorder;
use lanes_scheduler::exec::execute_sequential_with;
use revm::primitives::KECCAK_EMPTY;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn mainnet_blocks() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/mainnet");
    let root = if root.exists() {
        root
    } else {
        PathBuf::from("/work/shared/mainnet")
    };
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!("note: {} absent, mainnet test skipped", root.display());
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("block.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Addresses whose balance or storage the block changes outside its transactions.
fn outside_transactions(input: &BlockInput) -> BTreeSet<Address> {
    let mut outside: BTreeSet<Address> = [
        input.block.header.beneficiary,
        // EIP-4788 beacon roots and EIP-2935 history contracts.
        "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02"
            .parse()
            .unwrap(),
        "0x0000F90827F1C53a10cb7A02335B175320002935"
            .parse()
            .unwrap(),
    ]
    .into();
    if let Some(withdrawals) = &input.block.withdrawals {
        outside.extend(withdrawals.iter().map(|w| w.address));
    }
    outside
}

#[test]
fn recorder_agrees_with_revm_on_mainnet() {
    let dirs = mainnet_blocks();
    for dir in &dirs {
        let input = BlockInput::load(dir).unwrap();
        let number = input.number();
        let mut changed_by_txs = AccessSet::default();
        let mut touched: BTreeSet<Address> = BTreeSet::new();
        let outcome = execute_sequential_with(
            &input,
            |_| Recorder::new(),
            |index, recorder, result| {
                let actual = recorder.finish(&result.state);
                for (address, account) in &result.state {
                    for slot in account.storage.keys() {
                        assert!(
                            actual
                                .set
                                .get(&Location::storage(*address, *slot))
                                .is_some(),
                            "block {number} tx {index}: slot {slot} of {address} loaded by revm \
                             but not recorded"
                        );
                    }
                }
                touched.extend(actual.set.iter().map(|(l, _)| l.address()));
                for location in actual.set.writes.iter().chain(&actual.set.increments) {
                    changed_by_txs.insert(*location, lanes_analyzer::Access::Write);
                }
            },
        )
        .unwrap();

        let outside = outside_transactions(&input);
        let has_uncles = !input.block.uncles.is_empty();
        let written = |location: Location| changed_by_txs.writes.contains(&location);
        for (address, change) in &outcome.post_state.accounts {
            let before = input.prestate.account(address);
            for slot in change.storage.keys() {
                if !change.storage_cleared && !outside.contains(address) {
                    assert!(
                        written(Location::storage(*address, *slot)),
                        "block {number}: slot {slot} of {address} changed by no transaction"
                    );
                }
            }
            let (balance, nonce, code) = before.map_or((U256::ZERO, 0, KECCAK_EMPTY), |a| {
                (a.balance, a.nonce, alloy_primitives::keccak256(&a.code))
            });
            let code = if before.is_some_and(|a| a.code.is_empty()) {
                KECCAK_EMPTY
            } else {
                code
            };
            match change.account {
                Some(after) => {
                    // Uncle miners are paid outside transactions and named nowhere else.
                    let uncle_miner = has_uncles && !touched.contains(address);
                    if after.balance != balance && !outside.contains(address) && !uncle_miner {
                        assert!(
                            written(Location::balance(*address)),
                            "block {number}: balance of {address} changed by no transaction"
                        );
                    }
                    if after.nonce != nonce {
                        assert!(
                            written(Location::nonce(*address)),
                            "block {number}: nonce of {address} changed by no transaction"
                        );
                    }
                    if after.code_hash != code || before.is_none() {
                        assert!(
                            written(Location::code(*address)) || outside.contains(address),
                            "block {number}: code or existence of {address} changed by no \
                             transaction"
                        );
                    }
                }
                None if before.is_some() => assert!(
                    written(Location::code(*address)),
                    "block {number}: {address} deleted by no transaction"
                ),
                None => {}
            }
        }
    }
}
