//! `lanes analyze` on a small hand-made Byzantium block: a plain transfer and a call to a
//! contract that stores 1 at slot 0.

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const SENDER: &str = "0x1000000000000000000000000000000000000001";
const PAYEE: &str = "0x2000000000000000000000000000000000000002";
const CONTRACT: &str = "0x3000000000000000000000000000000000000003";
const MINER: &str = "0x4000000000000000000000000000000000000004";

fn tx(index: u64, nonce: u64, to: &str, gas: u64) -> Value {
    json!({
        "hash": format!("0x{:064x}", 0xaa00 + index),
        "nonce": format!("{nonce:#x}"),
        "blockHash": format!("0x{:064x}", 0xb10c),
        "blockNumber": "0x4c4b40",
        "transactionIndex": format!("{index:#x}"),
        "from": SENDER,
        "to": to,
        "value": "0x1",
        "gasPrice": "0x3b9aca00",
        "gas": format!("{gas:#x}"),
        "input": "0x",
        "r": "0x1", "s": "0x1", "v": "0x1b", "type": "0x0"
    })
}

fn write_block(dir: &Path) {
    let zero32 = format!("0x{}", "0".repeat(64));
    let block = json!({
        "hash": format!("0x{:064x}", 0xb10c),
        "parentHash": format!("0x{:064x}", 0xb10b),
        "sha3Uncles": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
        "miner": MINER,
        "stateRoot": zero32, "transactionsRoot": zero32, "receiptsRoot": zero32,
        "logsBloom": format!("0x{}", "0".repeat(512)),
        "difficulty": "0x1", "number": "0x4c4b40", "gasLimit": "0x7a1200",
        // 21000 for the transfer; 21000 + PUSH1 + PUSH1 (3 + 3) + SSTORE of a new value (20000).
        "gasUsed": format!("{:#x}", 21_000 + 41_006),
        "timestamp": "0x5a5b5c5d", "extraData": "0x", "mixHash": zero32,
        "nonce": "0x0000000000000000", "uncles": [],
        "transactions": [tx(0, 0, PAYEE, 21_000), tx(1, 1, CONTRACT, 100_000)],
    });
    let prestate = json!({
        SENDER: {"balance": "0xde0b6b3a7640000", "nonce": 0},
        PAYEE: {"balance": "0x5", "nonce": 0},
        // PUSH1 1 PUSH1 0 SSTORE STOP
        CONTRACT: {"balance": "0x0", "nonce": 1, "code": "0x600160005500"},
        MINER: {"balance": "0x0", "nonce": 0},
    });
    std::fs::write(dir.join("block.json"), block.to_string()).unwrap();
    std::fs::write(dir.join("prestate.json"), prestate.to_string()).unwrap();
}

fn lanes(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.starts_with("error: "),
        "{stderr}"
    );
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn json_summary_and_blocks() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("5000000");
    std::fs::create_dir(&dir).unwrap();
    write_block(&dir);
    let (ok, out) = lanes(&[
        "analyze",
        root.path().to_str().unwrap(),
        "--format",
        "json",
        "--causes",
    ]);
    assert!(ok);
    let report: Value = serde_json::from_str(&out).unwrap();
    let summary = &report["summary"];
    assert_eq!(summary["blocks"], 1);
    assert_eq!(summary["txs"], 2);
    assert_eq!(summary["gas"], 62_006);
    for key in [
        "coverage_by_count",
        "coverage_by_gas",
        "exact_precision",
        "widened_fraction",
    ] {
        let f = summary[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&f), "{key} = {f}");
    }
    assert!(summary["analysis_seconds"].as_f64().unwrap() >= 0.0);
    assert!(summary["sequential_seconds"].as_f64().unwrap() > 0.0);
    assert!(summary["execution_seconds"].as_f64().unwrap() > 0.0);
    let block = &report["blocks"][0];
    assert_eq!(block["block"], 5_000_000);
    assert_eq!(block["era"], "Byzantium");
    assert_eq!(block["txs"], 2);
    assert_eq!(block["transactions"][0]["kind"], "transfer");
    assert_eq!(block["transactions"][1]["kind"], "call");
    assert!(report["causes"]["misses"].is_object());
}

#[test]
fn one_transaction_predicted_vs_actual() {
    let root = tempfile::tempdir().unwrap();
    write_block(root.path());
    let (ok, out) = lanes(&[
        "analyze",
        root.path().to_str().unwrap(),
        "--tx",
        "1",
        "--format",
        "json",
    ]);
    assert!(ok);
    let detail: Value = serde_json::from_str(&out).unwrap();
    // PUSH1 1, PUSH1 0, SSTORE, STOP.
    assert_eq!(detail["work"], 4);
    let actual = detail["actual"].as_array().unwrap();
    let slot0 = actual
        .iter()
        .find(|e| e["location"]["kind"] == "storage")
        .expect("the SSTORE is recorded");
    assert_eq!(slot0["access"], "write");
    assert_eq!(slot0["description"], "slot 0");
    assert_eq!(
        slot0["location"]["address"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        CONTRACT
    );

    let (ok, text) = lanes(&["analyze", root.path().to_str().unwrap(), "--tx", "1"]);
    assert!(ok);
    assert!(text.contains("missed ("), "{text}");
    assert!(text.contains("transaction 1 (work: 4 steps)"), "{text}");
    let (ok, _) = lanes(&["analyze", root.path().to_str().unwrap(), "--tx", "7"]);
    assert!(!ok);
}

#[test]
fn markdown_tables() {
    let root = tempfile::tempdir().unwrap();
    write_block(root.path());
    let (ok, out) = lanes(&[
        "analyze",
        root.path().to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert!(ok);
    assert!(out.contains("| # | hash | from -> to |"), "{out}");
    assert!(out.contains("### blocks"), "{out}");
}

/// Drops every timing (and what is derived from one), which differ from run to run.
fn without_timings(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| {
                !(k.ends_with("_seconds") || k == "analysis_cost" || k == "analysis_vs_execution")
            });
            map.values_mut().for_each(without_timings);
        }
        Value::Array(items) => items.iter_mut().for_each(without_timings),
        _ => {}
    }
}

#[test]
fn the_report_does_not_depend_on_the_analyzer_threads() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/blocks");
    let report = |threads: &str| {
        let (ok, out) = lanes(&[
            "analyze",
            corpus.join("amm-swaps").to_str().unwrap(),
            corpus.join("nonce-chains").to_str().unwrap(),
            "--format",
            "json",
            "--threads",
            threads,
        ]);
        assert!(ok);
        let mut report: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["analysis_threads"], threads.parse::<u64>().unwrap());
        report.as_object_mut().unwrap().remove("analysis_threads");
        without_timings(&mut report);
        report
    };
    let one = report("1");
    assert_eq!(one["summary"]["blocks"], 2);
    assert_eq!(one, report("2"));
    assert_eq!(one, report("4"));
}
