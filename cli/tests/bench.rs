//! `lanes bench` on a generated workload and on corpus blocks: the JSON fields, identical
//! results and header checks.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn bench(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .arg("bench")
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

#[test]
fn workload_json_has_the_issue_fields() {
    let (code, json) = bench(&[
        "--workload",
        "erc20",
        "--txs",
        "40",
        "--hot-ratio",
        "0.25",
        "--threads",
        "2",
        "--runs",
        "1",
        "--json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(json["workload"], "erc20");
    assert_eq!(json["txs"], 40);
    assert_eq!(json["threads"], 2);
    assert_eq!(json["hot_ratio"], 0.25);
    assert_eq!(json["header_ok"], true);
    // 40 token transfers, each between 21k + 9k and 21k + 40k gas.
    let gas = json["gas"].as_u64().unwrap();
    assert!((40 * 30_000..40 * 61_000).contains(&gas), "{gas}");
    assert_eq!(json["identical"], true);
    for field in ["sequential_ms", "parallel_ms", "analysis_ms", "speedup"] {
        assert!(json[field].as_f64().unwrap() > 0.0, "{field}");
    }
    let speedup = json["sequential_ms"].as_f64().unwrap() / json["parallel_ms"].as_f64().unwrap();
    assert!((json["speedup"].as_f64().unwrap() - speedup).abs() < 1e-9);
}

#[test]
fn directories_report_every_block_and_a_summary() {
    let (code, json) = bench(&[
        "corpus/blocks/erc20-transfers",
        "corpus/blocks/nonce-chains",
        "--runs",
        "1",
        "--json",
    ]);
    assert_eq!(code, 0);
    let blocks = json["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0]["block"], 307);
    assert_eq!(blocks[0]["txs"], 118);
    assert_eq!(blocks[0]["gas"], 4_062_016);
    assert_eq!(blocks[1]["block"], 309);
    assert_eq!(json["summary"]["blocks"], 2);
    assert_eq!(json["summary"]["identical"], 2);
    assert_eq!(json["summary"]["header_ok"], 2);
}

#[test]
fn a_workload_and_directories_together_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(["bench", "corpus/blocks", "--workload", "raw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_generated_block_written_out_loads_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mixed");
    let (code, generated) = bench(&[
        "--workload",
        "mixed",
        "--txs",
        "30",
        "--hot-ratio",
        "0.2",
        "--runs",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0);
    let (code, loaded) = bench(&[out.to_str().unwrap(), "--runs", "1", "--json"]);
    assert_eq!(code, 0);
    let block = &loaded["blocks"][0];
    assert_eq!(block["txs"], 30);
    assert_eq!(block["gas"], generated["gas"]);
    assert_eq!(block["header_ok"], true);
    assert_eq!(block["identical"], true);
}
