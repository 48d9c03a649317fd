//! `lanes fetch` against a real node (anvil, from npm) and against a tiny scripted JSON-RPC
//! server for the failures a real node will not produce on demand.
//!
//! anvil comes from `npm install --prefix .tools @foundry-rs/anvil-linux-amd64` (what `scripts/test`
//! does); `LANES_ANVIL` may point at another binary.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use support::{Anvil, FakeNode, Reply, lanes};

const COINBASE: &str = "0x00000000000000000000000000000000c0ffee01";

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex_u64(v: &Value) -> u64 {
    u64::from_str_radix(
        v.as_str().expect("a hex string").trim_start_matches("0x"),
        16,
    )
    .expect("hex")
}

/// `Probe.hashes(uint256[])` calldata (corpus/contracts/Probe.sol).
fn probe_hashes_call(backs: &[u64]) -> String {
    let selector = &alloy_primitives::keccak256("hashes(uint256[])")[..4];
    let mut data = selector.to_vec();
    for word in [0x20, backs.len() as u64].iter().chain(backs) {
        data.extend_from_slice(&alloy_primitives::U256::from(*word).to_be_bytes::<32>());
    }
    format!("0x{}", alloy_primitives::hex::encode(data))
}

/// Mines block 1 (a contract creation and a same-sender chain of ETH transfers), ten empty
/// blocks, and block 12 (BLOCKHASH reads, a payment to the beneficiary, a revert).
fn mine_blocks(anvil: &Anvil) -> (String, u64) {
    let accounts: Vec<String> =
        serde_json::from_value(anvil.call("eth_accounts", json!([]))).expect("accounts");
    anvil.call("anvil_setCoinbase", json!([COINBASE]));
    let probe =
        read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/build/Probe.json"));
    let deploy =
        anvil.send(&json!({"from": accounts[0], "data": probe["bytecode"], "gas": "0x200000"}));
    for _ in 0..3 {
        anvil.send(
            &json!({"from": accounts[1], "to": accounts[2], "value": "0x1000", "gas": "0x5208"}),
        );
    }
    anvil
        .send(&json!({"from": accounts[2], "to": accounts[3], "value": "0x2000", "gas": "0x5208"}));
    anvil.call("evm_mine", json!([]));
    let receipt = anvil.call("eth_getTransactionReceipt", json!([deploy]));
    let probe = receipt["contractAddress"]
        .as_str()
        .expect("a created contract")
        .to_owned();
    anvil.call("anvil_mine", json!(["0xa"]));
    anvil.send(&json!({"from": accounts[1], "to": probe, "data": probe_hashes_call(&[1, 3, 7]), "gas": "0x40000"}));
    anvil.send(&json!({"from": accounts[4], "to": COINBASE, "value": "0x3000", "gas": "0x5208"}));
    anvil.send(&json!({"from": accounts[5], "to": probe, "data": "0xdeadbeef", "gas": "0x10000"}));
    anvil.call("evm_mine", json!([]));
    let head = hex_u64(&anvil.call("eth_blockNumber", json!([])));
    assert_eq!(head, 12);
    (probe, head)
}

#[test]
fn fetched_anvil_blocks_match_the_node_and_verify() {
    let anvil = Anvil::start();
    let (probe, head) = mine_blocks(&anvil);
    let out = tempfile::tempdir().expect("a temp dir");

    let run = lanes(
        &["fetch", "--rpc", &anvil.url, "--block", "latest", "--out"],
        out.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let dir = out.path().join(head.to_string());

    // block.json is the node's own answer.
    let node_block = anvil.call("eth_getBlockByNumber", json!([format!("{head:#x}"), true]));
    assert_eq!(read_json(&dir.join("block.json")), node_block);

    // BLOCKHASH 3 and 7 blocks back; 1 back is the parent, which block.json already has.
    let hashes: BTreeMap<String, String> =
        serde_json::from_value(read_json(&dir.join("block_hashes.json"))).expect("map");
    let expected: BTreeMap<String, String> = [head - 3, head - 7]
        .into_iter()
        .map(|n| {
            let b = anvil.call("eth_getBlockByNumber", json!([format!("{n:#x}"), false]));
            (n.to_string(), b["hash"].as_str().expect("hash").to_owned())
        })
        .collect();
    assert_eq!(hashes, expected);

    // The pre-state holds the called contract's code and the beneficiary, as of the parent block.
    let prestate = read_json(&dir.join("prestate.json"));
    let parent = format!("{:#x}", head - 1);
    assert_eq!(
        prestate[&probe]["code"],
        anvil.call("eth_getCode", json!([probe, parent]))
    );
    assert_eq!(
        prestate[COINBASE]["balance"],
        anvil.call("eth_getBalance", json!([COINBASE, parent]))
    );
    assert!(prestate[COINBASE]["nonce"].is_u64(), "nonces are integers");

    // A range fetch writes one directory per block, and every block verifies against its header.
    let range = tempfile::tempdir().expect("a temp dir");
    let run = lanes(
        &[
            "fetch", "--rpc", &anvil.url, "--range", "1..=12", "--jobs", "3", "--out",
        ],
        range.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for n in 1..=head {
        assert!(
            range
                .path()
                .join(n.to_string())
                .join("prestate.json")
                .is_file(),
            "block {n}"
        );
    }
    let verify = lanes(&["verify", "--json"], range.path());
    let report: Value = serde_json::from_slice(&verify.stdout).expect("verify --json");
    assert!(verify.status.success(), "{report}");
    assert_eq!(report["ok"], head);
    assert_eq!(report["failed"], 0);
}

#[test]
fn without_debug_trace_block_the_per_transaction_fallback_writes_the_same_directory() {
    let anvil = Arc::new(Anvil::start());
    let (_, head) = mine_blocks(&anvil);
    // A node in front of anvil that lacks debug_traceBlockByNumber. It holds anvil weakly, so
    // anvil still stops when the test drops it.
    let upstream = Arc::downgrade(&anvil);
    let node = FakeNode::start(
        move |method, params, _| match (method, upstream.upgrade()) {
            ("debug_traceBlockByNumber", _) => Reply::Error(-32601, "Method not found".into()),
            (_, Some(anvil)) => anvil.forward(method, params),
            (_, None) => Reply::Http(503),
        },
    );
    let direct = tempfile::tempdir().expect("a temp dir");
    let fallback = tempfile::tempdir().expect("a temp dir");
    let block = head.to_string();
    for (url, out) in [(&anvil.url, &direct), (&node.url, &fallback)] {
        let run = lanes(
            &["fetch", "--rpc", url, "--block", &block, "--out"],
            out.path(),
        );
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    for file in ["block.json", "prestate.json", "block_hashes.json"] {
        assert_eq!(
            read_json(&direct.path().join(&block).join(file)),
            read_json(&fallback.path().join(&block).join(file)),
            "{file}"
        );
    }
}

/// An empty block as anvil returns it, at `number`.
fn empty_block(number: u64) -> Value {
    let zero = format!("0x{}", "0".repeat(64));
    let empty_root = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";
    json!({
        "hash": format!("0x{:064x}", number + 1000), "parentHash": format!("0x{:064x}", number + 999),
        "sha3Uncles": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
        "miner": COINBASE, "stateRoot": zero, "transactionsRoot": empty_root, "receiptsRoot": empty_root,
        "logsBloom": format!("0x{}", "0".repeat(512)), "difficulty": "0x0", "number": format!("{number:#x}"),
        "gasLimit": "0x1c9c380", "gasUsed": "0x0", "timestamp": "0x6b023db3", "extraData": "0x",
        "mixHash": zero, "nonce": "0x0000000000000000", "baseFeePerGas": "0x3b9aca00",
        "withdrawalsRoot": empty_root, "blobGasUsed": "0x0", "excessBlobGas": "0x0",
        "parentBeaconBlockRoot": zero, "requestsHash": "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "size": "0x267", "uncles": [], "transactions": [], "withdrawals": [],
    })
}

/// The same block with one (hash-only) transaction: enough to make fetch trace it.
fn block_with_a_tx(number: u64) -> Value {
    let mut block = empty_block(number);
    block["transactions"] = json!([{ "hash": format!("0x{:064x}", 7) }]);
    block
}

const RECIPIENT: &str = "0x00000000000000000000000000000000000beef1";

/// An empty block with one withdrawal.
fn block_with_a_withdrawal(number: u64) -> Value {
    let mut block = empty_block(number);
    block["withdrawals"] = json!([{ "index": "0x0", "validatorIndex": "0x1", "address": RECIPIENT, "amount": "0x10" }]);
    block
}

#[test]
fn a_node_without_the_debug_api_gets_a_clear_error() {
    let node = FakeNode::start(|method, _params, _i| match method {
        "eth_getBlockByNumber" => Reply::Result(block_with_a_tx(5)),
        _ => Reply::Error(-32601, "Method not found".into()),
    });
    let out = tempfile::tempdir().expect("a temp dir");
    let run = lanes(
        &[
            "fetch",
            "--rpc",
            &node.url,
            "--block",
            "5",
            "--attempts",
            "2",
            "--out",
        ],
        out.path(),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("has no debug API"), "{stderr}");
    assert!(
        stderr.contains("debug_traceTransaction"),
        "the fallback was tried: {stderr}"
    );
    assert!(
        !out.path().join("5").exists(),
        "nothing is written for a failed block"
    );
}

#[test]
fn anvil_with_pruned_history_gets_a_clear_error() {
    // anvil keeps the state of the last two blocks only.
    let anvil = Anvil::start_with(&["--prune-history", "2"]);
    let accounts: Vec<String> =
        serde_json::from_value(anvil.call("eth_accounts", json!([]))).expect("accounts");
    for _ in 0..6 {
        anvil.send(
            &json!({"from": accounts[0], "to": accounts[1], "value": "0x1", "gas": "0x5208"}),
        );
        anvil.call("evm_mine", json!([]));
    }
    let out = tempfile::tempdir().expect("a temp dir");
    let run = lanes(
        &["fetch", "--rpc", &anvil.url, "--block", "2", "--out"],
        out.path(),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("pruned"), "{stderr}");
    // The newest block still has its parent's state.
    let run = lanes(
        &["fetch", "--rpc", &anvil.url, "--block", "latest", "--out"],
        out.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn pruned_state_gets_a_clear_error() {
    let node = FakeNode::start(|method, _params, _i| match method {
        "eth_getBlockByNumber" => Reply::Result(block_with_a_tx(5)),
        _ => Reply::Error(
            -32000,
            "missing trie node 4f1c2a (path ) state 0x1 is not available".into(),
        ),
    });
    let out = tempfile::tempdir().expect("a temp dir");
    let run = lanes(
        &["fetch", "--rpc", &node.url, "--block", "5", "--out"],
        out.path(),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("pruned"), "{stderr}");
    assert!(stderr.contains("archive node"), "{stderr}");
}

#[test]
fn transient_failures_are_retried_and_persistent_ones_give_up() {
    // The first two requests get 503; the retries then see an ordinary node.
    let node = FakeNode::start(|method, params, i| match (i, method) {
        (0 | 1, _) => Reply::Http(503),
        (_, "eth_getBlockByNumber") => Reply::Result(block_with_a_withdrawal(hex_u64(&params[0]))),
        (_, "eth_getBalance" | "eth_getTransactionCount") => Reply::Result(json!("0x0")),
        (_, "eth_getCode") => Reply::Result(json!("0x")),
        _ => Reply::Error(-32601, "Method not found".into()),
    });
    let out = tempfile::tempdir().expect("a temp dir");
    let run = lanes(
        &[
            "fetch",
            "--rpc",
            &node.url,
            "--block",
            "9",
            "--attempts",
            "3",
            "--out",
        ],
        out.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        read_json(&out.path().join("9/block.json")),
        block_with_a_withdrawal(9)
    );
    // The beneficiary and the withdrawal recipient, which no transaction touches, are listed.
    let prestate = read_json(&out.path().join("9/prestate.json"));
    let empty = json!({ "balance": "0x0", "nonce": 0 });
    assert_eq!(prestate, json!({ COINBASE: empty, RECIPIENT: empty }));

    let down = FakeNode::start(|_, _, _| Reply::Http(503));
    let run = lanes(
        &[
            "fetch",
            "--rpc",
            &down.url,
            "--block",
            "9",
            "--attempts",
            "2",
            "--out",
        ],
        out.path(),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("gave up after 2 attempts"), "{stderr}");
}

#[test]
fn unsupported_endpoints_are_refused_before_any_request() {
    let out = tempfile::tempdir().expect("a temp dir");
    for url in ["https://127.0.0.1:1", "ws://127.0.0.1:1", "not a url"] {
        let run = lanes(
            &["fetch", "--rpc", url, "--block", "1", "--out"],
            out.path(),
        );
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{url}");
        assert!(stderr.contains("plain http only"), "{url}: {stderr}");
    }
}

#[test]
fn ommer_beneficiaries_are_in_the_pre_state() {
    const OMMER_MINER: &str = "0x00000000000000000000000000000000000abba1";
    let node = FakeNode::start(|method, params, _| match method {
        "eth_getBlockByNumber" => {
            let mut block = empty_block(hex_u64(&params[0]));
            block["uncles"] = json!([format!("0x{:064x}", 0xabba)]);
            Reply::Result(block)
        }
        "eth_getUncleByBlockNumberAndIndex" if params[1] == "0x0" => {
            Reply::Result(json!({ "miner": OMMER_MINER }))
        }
        "eth_getBalance" if params[0] == OMMER_MINER && params[1] == "0x8" => {
            Reply::Result(json!("0x5"))
        }
        "eth_getBalance" | "eth_getTransactionCount" => Reply::Result(json!("0x0")),
        "eth_getCode" => Reply::Result(json!("0x")),
        _ => Reply::Error(-32601, "Method not found".into()),
    });
    let out = tempfile::tempdir().expect("a temp dir");
    let run = lanes(
        &["fetch", "--rpc", &node.url, "--block", "9", "--out"],
        out.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let prestate = read_json(&out.path().join("9/prestate.json"));
    assert_eq!(
        prestate[OMMER_MINER],
        json!({ "balance": "0x5", "nonce": 0 })
    );
}
