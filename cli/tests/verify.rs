//! `lanes verify` on the hand-made block and on broken copies of it: every bad input is a clear
//! error naming the file, block and field or transaction, the other blocks still verify, and
//! nothing panics.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scheduler/tests/blocks/simple")
}

fn lanes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(args)
        .output()
        .expect("lanes runs")
}

/// A copy of the fixture under `root/name`, changed by `edit(block, prestate)`.
fn broken_copy(root: &Path, name: &str, edit: impl FnOnce(&mut Value, &mut Value)) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let read = |f: &str| -> Value {
        serde_json::from_slice(&std::fs::read(fixture().join(f)).unwrap()).unwrap()
    };
    let (mut block, mut prestate) = (read("block.json"), read("prestate.json"));
    edit(&mut block, &mut prestate);
    std::fs::write(dir.join("block.json"), block.to_string()).unwrap();
    std::fs::write(dir.join("prestate.json"), prestate.to_string()).unwrap();
    dir
}

/// Runs `lanes verify --json` on the fixture plus one broken copy; returns the broken block's
/// report after checking that the good block still verified and nothing panicked.
fn verify_with_good_block(broken: &Path) -> Value {
    let good = fixture();
    let out = lanes(&[
        "verify",
        "--json",
        good.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "a failed block fails the run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["ok"], 1);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["blocks"][0]["ok"], true);
    let bad = report["blocks"][1].clone();
    assert_eq!(bad["ok"], false);
    bad
}

fn error_of(report: &Value) -> String {
    report["error"]
        .as_str()
        .expect("an error message")
        .to_string()
}

#[test]
fn the_hand_made_block_verifies() {
    let out = lanes(&["verify", "--json", fixture().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let block = &report["blocks"][0];
    assert_eq!(block["block"], 5);
    assert_eq!(block["receipts_root"], "match");
    assert_eq!(block["logs_bloom"], "match");
    assert_eq!(block["gas_used"], "match");
    assert_eq!(block["error"], Value::Null);
    assert!(block["ms"].as_f64().is_some());
    assert_eq!(
        (report["ok"].clone(), report["failed"].clone()),
        (1.into(), 0.into())
    );
}

#[test]
fn table_output_lists_the_checks() {
    let out = lanes(&["verify", fixture().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text.lines().nth(1).expect("a row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[..6], ["5", "2", "64546", "match", "match", "match"]);
    assert!(text.ends_with("1 ok, 0 failed\n"), "{text}");
}

#[test]
fn malformed_json_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(tmp.path(), "malformed", |_, _| {});
    let text = std::fs::read_to_string(dir.join("block.json")).unwrap();
    std::fs::write(dir.join("block.json"), &text[..text.len() / 2]).unwrap();
    let error = error_of(&verify_with_good_block(&dir));
    assert!(error.contains("malformed/block.json"), "{error}");
    assert!(error.contains("EOF while parsing"), "{error}");
}

#[test]
fn missing_prestate_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(tmp.path(), "missing", |_, _| {});
    std::fs::remove_file(dir.join("prestate.json")).unwrap();
    let report = verify_with_good_block(&dir);
    let error = error_of(&report);
    assert!(error.contains("missing/prestate.json"), "{error}");
    assert_eq!(report["block"], 5, "the block number is still reported");
}

#[test]
fn hex_field_of_wrong_length_names_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(tmp.path(), "short", |block, _| {
        block["transactions"][1]["from"] = "0x1234".into();
    });
    let error = error_of(&verify_with_good_block(&dir));
    assert!(error.contains("short/block.json"), "{error}");
    assert!(error.contains("transactions[1].from"), "{error}");
}

#[test]
fn short_prestate_address_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(tmp.path(), "addr", |_, prestate| {
        prestate["0x12"] = serde_json::json!({"balance": "0x1"});
    });
    let error = error_of(&verify_with_good_block(&dir));
    assert!(error.contains("addr/prestate.json"), "{error}");
}

#[test]
fn unknown_transaction_type_names_the_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(tmp.path(), "typed", |block, _| {
        block["transactions"][0]["type"] = "0x7f".into();
    });
    let error = error_of(&verify_with_good_block(&dir));
    assert!(error.contains("typed/block.json"), "{error}");
    assert!(error.contains("transactions[0]"), "{error}");
    assert!(error.contains("unknown transaction type 0x7f"), "{error}");
}

#[test]
fn nonce_too_high_names_block_and_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(tmp.path(), "nonce", |block, _| {
        block["transactions"][0]["nonce"] = "0x5".into();
    });
    let error = error_of(&verify_with_good_block(&dir));
    assert!(error.contains("block 5 tx 0"), "{error}");
    assert!(error.contains("nonce 5 too high"), "{error}");
}

#[test]
fn insufficient_balance_names_block_and_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(tmp.path(), "poor", |_, prestate| {
        prestate["0x1000000000000000000000000000000000000001"]["balance"] = "0x1".into();
    });
    let error = error_of(&verify_with_good_block(&dir));
    assert!(error.contains("block 5 tx 0"), "{error}");
    assert!(error.contains("lack of funds"), "{error}");
}

#[test]
fn missing_block_hash_is_an_error_not_a_made_up_hash() {
    let tmp = tempfile::tempdir().unwrap();
    // The contract now runs BLOCKHASH(3) (PUSH1 3, BLOCKHASH, STOP); only the parent (4) is known.
    let dir = broken_copy(tmp.path(), "blockhash", |_, prestate| {
        prestate["0x3000000000000000000000000000000000000003"]["code"] = "0x60034000".into();
    });
    let error = error_of(&verify_with_good_block(&dir));
    assert!(error.contains("block 5 tx 1"), "{error}");
    assert!(error.contains("BLOCKHASH(3)"), "{error}");
}

#[test]
fn wrong_header_value_is_a_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken_copy(tmp.path(), "gas", |block, _| {
        block["gasUsed"] = "0xfc23".into();
    });
    let report = verify_with_good_block(&dir);
    assert_eq!(report["gas_used"], "mismatch");
    assert_eq!(report["receipts_root"], "match");
    assert!(error_of(&report).contains("gas used: header 64547, computed 64546"));
}

#[test]
fn a_directory_without_blocks_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = lanes(&["verify", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no block directories"), "{stderr}");
}
