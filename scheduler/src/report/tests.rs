use super::*;
use alloy_primitives::address;
use lanes_analyzer::{Access, AccessSet, Location};

const USDC: Address = address!("a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
const COINBASE: Address = Address::repeat_byte(0xcb);

fn who(b: u8) -> Address {
    Address::repeat_byte(b)
}

fn key(a: Address) -> U256 {
    U256::from_be_slice(a.as_slice())
}

/// A tiny block: two USDC transfers through the same holder, then an unrelated ETH transfer.
struct Block {
    txs: Vec<TxInfo>,
    predictions: Vec<AccessPrediction>,
    actuals: Vec<ActualAccess>,
    gas: Vec<u64>,
    keys: BTreeMap<U256, U256>,
}

fn block() -> Block {
    let mut keys = BTreeMap::new();
    let mut origins = SlotOrigins::default();
    let mut balance_of = |holder: Address| {
        let mut pre = key(holder).to_be_bytes::<32>().to_vec();
        pre.extend_from_slice(&U256::from(9).to_be_bytes::<32>());
        let slot = origins.observe(&pre);
        keys.insert(slot, key(holder));
        Location::storage(USDC, slot)
    };
    let (a, b, c) = (
        balance_of(who(0xa1)),
        balance_of(who(0xb2)),
        balance_of(who(0xc3)),
    );
    let transfer = |from: u8, locations: [Location; 2]| {
        let mut s = AccessSet::default();
        s.insert(Location::nonce(who(from)), Access::Write);
        s.insert(Location::balance(who(from)), Access::Write);
        s.insert(Location::balance(COINBASE), Access::Increment);
        s.insert(Location::code(USDC), Access::Read);
        for l in locations {
            s.insert(l, Access::Write);
        }
        s
    };
    let mut eth = AccessSet::default();
    eth.insert(Location::nonce(who(0xd4)), Access::Write);
    eth.insert(Location::balance(who(0xd4)), Access::Write);
    eth.insert(Location::balance(who(0xe5)), Access::Increment);
    eth.insert(Location::balance(COINBASE), Access::Increment);
    let sets = [transfer(0xa1, [a, b]), transfer(0xb2, [b, c]), eth];
    let actuals: Vec<ActualAccess> = sets
        .iter()
        .map(|s| ActualAccess {
            set: s.clone(),
            origins: origins.clone(),
            beneficiary: Some(COINBASE),
        })
        .collect();
    let predictions = vec![
        AccessPrediction::unknown("unresolved jump"),
        AccessPrediction::unknown("unresolved jump"),
        AccessPrediction {
            exact: sets[2].clone(),
            ..AccessPrediction::default()
        },
    ];
    let usdc_transfer = |from: u8| TxInfo {
        from: who(from),
        to: Some(USDC),
        selector: Some([0xa9, 0x05, 0x9c, 0xbb]),
        plain: false,
    };
    Block {
        txs: vec![
            usdc_transfer(0xa1),
            usdc_transfer(0xb2),
            TxInfo {
                from: who(0xd4),
                to: Some(who(0xe5)),
                selector: None,
                plain: true,
            },
        ],
        predictions,
        actuals,
        gas: vec![50_000, 40_000, 21_000],
        keys,
    }
}

fn report(b: &Block) -> BlockReport {
    BlockReport::new(&ReportInput {
        number: 7,
        beneficiary: COINBASE,
        txs: &b.txs,
        predictions: &b.predictions,
        actuals: &b.actuals,
        gas: &b.gas,
        keys: &b.keys,
        quality: None,
        prestate: None,
    })
    .unwrap()
}

#[test]
fn explains_what_serialized_the_block() {
    let b = block();
    let r = report(&b);
    assert_eq!(r.schedule.oracle.batches, vec![vec![0, 2], vec![1]]);
    assert_eq!(r.schedule.oracle.critical_path, vec![0, 1]);
    assert_eq!(r.schedule.oracle.critical_path_gas, 90_000);
    assert_eq!(
        r.schedule.oracle.dependencies,
        vec![vec![], vec![0], vec![]]
    );
    // Both unknown predictions conflict with everything: a chain of three.
    assert_eq!(
        r.schedule.predicted.batches,
        vec![vec![0], vec![1], vec![2]]
    );
    assert_eq!(r.schedule.predicted.critical_path_gas, 111_000);
    assert!((r.schedule.oracle.parallelism - 111.0 / 90.0).abs() < 1e-12);
    assert!((r.schedule.parallelism_ratio - 90.0 / 111.0).abs() < 1e-12);
    let steps = &r.oracle.critical_path;
    assert_eq!(steps[0].call, "USDC.transfer");
    assert!(steps[0].links.is_empty());
    assert_eq!(
        steps[1].links,
        vec!["write-write: USDC balanceOf[0xb2b2..b2b2]".to_owned()]
    );
    assert_eq!(r.oracle.contended[0].name, "USDC balanceOf[0xb2b2..b2b2]");
    assert_eq!(r.oracle.classes.get(&ConflictClass::WriteWrite), Some(&1));
    assert_eq!(r.predicted.classes.get(&ConflictClass::Widened), Some(&5));
    // The schedule serializes with the predicted graph's fields at the top.
    let json = serde_json::to_value(&r.schedule).unwrap();
    assert_eq!(json["critical_path_gas"], 111_000);
    assert_eq!(json["dependencies"], serde_json::json!([[], [0], [1]]));
    assert_eq!(json["oracle"]["simulated"]["2"], 90_000);
    let summary = ParallelismSummary::of([&r]);
    assert!((summary.parallelism_oracle - 111.0 / 90.0).abs() < 1e-12);
}

#[test]
fn renderings_are_well_formed() {
    let b = block();
    let r = report(&b);
    let md = to_markdown(&r);
    assert!(
        md.contains("| 1 | 40,000 | USDC.transfer | write-write: USDC balanceOf[0xb2b2..b2b2] |")
    );
    let table = to_table(&r);
    assert!(table.contains("<- write-write: USDC balanceOf[0xb2b2..b2b2]"));
    for kind in [GraphKind::Predicted, GraphKind::Oracle] {
        let svg = to_svg(&r, kind, 8);
        let doc = roxmltree::Document::parse(&svg).expect("SVG is well-formed XML");
        let boxes = doc
            .descendants()
            .filter(|n| n.has_tag_name("title"))
            .count();
        assert_eq!(boxes, 3);
        let dot = to_dot(&r, kind);
        assert!(dot.starts_with("digraph "));
        check_dot(&dot);
    }
    let dot = to_dot(&r, GraphKind::Oracle);
    assert!(dot.contains("t0 -> t1 [color=red"));
}

/// Renders DOT with Graphviz when it is installed (CI installs it).
fn check_dot(dot: &str) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let Ok(mut child) = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Graphviz `dot` must be installed in CI"
        );
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(std::str::from_utf8(&out.stdout).unwrap(), options)
        .expect("dot's SVG is well-formed");
}

#[test]
fn identical_consecutive_steps_merge_into_runs() {
    let step = |tx: usize, call: &str, link: Option<&str>| Step {
        tx,
        gas: 10,
        call: call.into(),
        links: link.map(|l| vec![l.to_owned()]).unwrap_or_default(),
    };
    let e = Explanation {
        critical_path: vec![
            step(0, "deposit", None),
            step(1, "deposit", Some("write-write: slot 2")),
            step(3, "deposit", Some("write-write: slot 2")),
            step(4, "withdraw", Some("write-write: slot 2")),
            step(6, "deposit", Some("write-write: slot 2")),
        ],
        ..Explanation::default()
    };
    let labels: Vec<(String, u64)> = e.runs().iter().map(|r| (r.label(), r.gas)).collect();
    assert_eq!(
        labels,
        vec![
            ("0".to_owned(), 10),
            ("1…3 (2 txs)".to_owned(), 20),
            ("4".to_owned(), 10),
            ("6".to_owned(), 10)
        ]
    );
}
