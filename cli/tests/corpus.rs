//! The committed corpus (corpus/blocks, mined on anvil by corpus/generate) re-executes to its
//! headers: `lanes verify corpus/blocks` must report every block ok.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

fn manifest() -> Value {
    let text =
        std::fs::read_to_string(corpus().join("manifest.json")).expect("corpus/manifest.json");
    serde_json::from_str(&text).expect("manifest is JSON")
}

#[test]
fn every_corpus_block_verifies_against_its_header() {
    let blocks = corpus().join("blocks");
    let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(["verify", "--json"])
        .arg(&blocks)
        .output()
        .expect("lanes runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "lanes verify corpus/blocks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).expect("verify --json prints JSON");
    let verified = report["blocks"].as_array().expect("a block list");
    let listed = manifest()["blocks"]
        .as_array()
        .expect("manifest blocks")
        .len();
    assert!(
        listed >= 10,
        "the corpus needs at least 10 named blocks, has {listed}"
    );
    assert_eq!(verified.len(), listed, "every manifest block is verified");
    for block in verified {
        for check in ["receipts_root", "logs_bloom", "gas_used"] {
            assert_eq!(block[check], "match", "block {}: {check}", block["block"]);
        }
        assert_eq!(block["ok"], true, "block {}", block["block"]);
    }
    assert_eq!(report["failed"], 0);
}

#[test]
fn manifest_matches_the_block_directories() {
    for entry in manifest()["blocks"].as_array().expect("manifest blocks") {
        let name = entry["name"].as_str().expect("a name");
        let dir = corpus().join("blocks").join(name);
        let block: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("block.json")).expect("block.json"),
        )
        .expect("block.json is JSON");
        let number = u64::from_str_radix(
            block["number"]
                .as_str()
                .expect("number")
                .trim_start_matches("0x"),
            16,
        )
        .expect("hex number");
        assert_eq!(Some(number), entry["number"].as_u64(), "{name}: number");
        let txs = block["transactions"]
            .as_array()
            .expect("full transactions")
            .len();
        assert_eq!(
            Some(txs as u64),
            entry["txs"].as_u64(),
            "{name}: transaction count"
        );
        assert!(txs >= 30, "{name}: only {txs} transactions");
        assert!(dir.join("prestate.json").is_file(), "{name}: prestate.json");
    }
}

#[test]
fn blockhash_block_carries_the_deepest_hash_it_reads() {
    // Probe.hashes reads 255 and 256 blocks back (in range) and 257 and 300 back (zero).
    let dir = corpus().join("blocks/blockhash-balance");
    let block: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("block.json")).expect("block.json"))
            .expect("JSON");
    let number = u64::from_str_radix(
        block["number"]
            .as_str()
            .expect("number")
            .trim_start_matches("0x"),
        16,
    )
    .expect("hex number");
    let hashes: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("block_hashes.json")).expect("block_hashes.json"),
    )
    .expect("JSON");
    let hashes = hashes.as_object().expect("an object");
    assert!(hashes.contains_key(&(number - 256).to_string()), "256 back");
    assert!(hashes.contains_key(&(number - 255).to_string()), "255 back");
    assert!(
        !hashes.contains_key(&(number - 257).to_string()),
        "257 back is out of range"
    );
    assert!(
        !hashes.contains_key(&(number - 1).to_string()),
        "the parent is in block.json"
    );
}
