//! `lanes analyze --format dot|svg|json` schedule output and `lanes bal` on corpus blocks.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn block(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/blocks")
        .join(name)
}

fn lanes(args: &[&str], dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(args)
        .arg(dir)
        .output()
        .expect("lanes runs");
    assert!(
        out.status.success(),
        "lanes {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn dot_renders_with_graphviz_and_svg_is_well_formed() {
    let dir = block("amm-swaps");
    for graph in ["predicted", "oracle"] {
        let dot = lanes(&["analyze", "--format", "dot", "--graph", graph], &dir);
        assert!(dot.starts_with("digraph \"block "));
        assert!(
            dot.contains("color=red"),
            "the critical path is highlighted"
        );
        match Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(mut child) => {
                use std::io::Write as _;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(dot.as_bytes())
                    .unwrap();
                let out = child.wait_with_output().unwrap();
                assert!(
                    out.status.success(),
                    "dot rejected the graph: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Err(_) => assert!(
                std::env::var_os("CI").is_none(),
                "Graphviz `dot` must be installed in CI"
            ),
        }
        let svg = lanes(
            &[
                "analyze",
                "--format",
                "svg",
                "--graph",
                graph,
                "--workers",
                "4",
            ],
            &dir,
        );
        let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let lanes_drawn = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("text") && n.text().is_some_and(|t| t.starts_with("worker "))
            })
            .count();
        assert_eq!(lanes_drawn, 4);
    }
}

#[test]
fn json_schedule_lists_dependencies_that_respect_batches() {
    let json: Value = serde_json::from_str(&lanes(
        &["analyze", "--format", "json"],
        &block("erc20-transfers"),
    ))
    .unwrap();
    let summary = &json["summary"];
    for key in [
        "parallelism_predicted",
        "parallelism_oracle",
        "parallelism_ratio",
    ] {
        assert!(summary[key].as_f64().is_some_and(|v| v > 0.0), "{key}");
    }
    let schedule = &json["blocks"][0]["schedule"];
    let batches = schedule["batches"].as_array().unwrap();
    let mut batch_of = std::collections::BTreeMap::new();
    for (b, txs) in batches.iter().enumerate() {
        for tx in txs.as_array().unwrap() {
            batch_of.insert(tx.as_u64().unwrap(), b);
        }
    }
    let deps = schedule["dependencies"].as_array().unwrap();
    assert_eq!(deps.len(), batch_of.len());
    for (j, before) in deps.iter().enumerate() {
        for i in before.as_array().unwrap() {
            let i = i.as_u64().unwrap();
            assert!(i < j as u64);
            assert!(batch_of[&i] < batch_of[&(j as u64)]);
        }
    }
    let simulated = schedule["simulated"].as_object().unwrap();
    let critical = schedule["critical_path_gas"].as_u64().unwrap();
    for k in ["2", "4", "8", "16", "32"] {
        assert!(simulated[k].as_u64().unwrap() >= critical);
    }
}

#[test]
fn bal_hash_is_the_keccak_of_its_rlp_and_predictions_are_graded() {
    let out: Value =
        serde_json::from_str(&lanes(&["bal", "--predicted"], &block("erc20-transfers"))).unwrap();
    let rlp = out["rlp"].as_str().unwrap();
    let bytes = alloy_primitives::hex::decode(rlp).unwrap();
    assert_eq!(
        out["hash"].as_str().unwrap(),
        alloy_primitives::keccak256(&bytes).to_string()
    );
    let list = out["block_access_list"].as_array().unwrap();
    assert_eq!(list.len() as u64, out["accounts"].as_u64().unwrap());
    let addresses: Vec<&str> = list
        .iter()
        .map(|a| a["address"].as_str().unwrap())
        .collect();
    let mut sorted = addresses.clone();
    sorted.sort_unstable();
    assert_eq!(addresses, sorted, "accounts ordered by address");
    let grade = &out["predicted"]["grade"];
    assert_eq!(
        grade["actual_accounts"].as_u64().unwrap(),
        list.len() as u64
    );
    assert!(grade["missing_slots"].is_array());
}
