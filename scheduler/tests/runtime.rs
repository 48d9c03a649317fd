//! The parallel runtime gives exactly the sequential result: receipts and post-block state, on
//! the project's corpus and (when present) ../shared/mainnet, on 1, 2 and 4 threads, with the
//! analyzer's predictions and with broken ones.
//!
//! Fault injection runs 1,000 proptest cases by default; a longer run:
//! `PROPTEST_CASES=10000 cargo test --release -p lanes-scheduler --test runtime fault`.

use alloy_primitives::Address;
use lanes_analyzer::{
    Access, AccessPrediction, AccessSet, BlockInput, Limits, Location, Scope, Widening,
    analyze_block,
};
use lanes_scheduler::exec::{BlockContext, BlockOutcome, check_header, execute_context};
use lanes_scheduler::graph::{ConflictGraph, Relation};
use lanes_scheduler::runtime::{ParallelOutcome, execute_planned, runtime_plan};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn block_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("block.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// The graphs a runtime may be given: the one it plans on (`lanes execute`'s), and the
/// reports' denser ones.
#[derive(Clone, Copy, Debug)]
enum Plan {
    Runtime,
    ReadsFrom,
    Conflicts,
}

/// Runs the block on `threads` over the graph the runtime plans on.
fn parallel(
    input: &BlockInput,
    ctx: &BlockContext,
    predictions: &[AccessPrediction],
    threads: usize,
) -> ParallelOutcome {
    parallel_over(input, ctx, predictions, threads, Plan::Runtime)
}

fn parallel_over(
    input: &BlockInput,
    ctx: &BlockContext,
    predictions: &[AccessPrediction],
    threads: usize,
    plan: Plan,
) -> ParallelOutcome {
    let graph = match plan {
        Plan::Runtime => runtime_plan(input, ctx, predictions).graph,
        Plan::ReadsFrom => ConflictGraph::build_with(predictions, Relation::ReadsFrom),
        Plan::Conflicts => ConflictGraph::build(predictions),
    };
    pool(threads)
        .install(|| execute_planned(input, ctx, &graph))
        .unwrap_or_else(|e| panic!("{}: {e}", input.dir.display()))
}

/// Field-by-field, so a failure says which part differs.
fn assert_identical(input: &BlockInput, what: &str, got: &BlockOutcome, want: &BlockOutcome) {
    let dir = input.dir.display();
    assert_eq!(got.receipts.len(), want.receipts.len(), "{dir} {what}");
    for (i, (g, w)) in got.receipts.iter().zip(&want.receipts).enumerate() {
        assert_eq!(g, w, "{dir} {what}: receipt {i}");
    }
    for (address, change) in &want.post_state.accounts {
        assert_eq!(
            got.post_state.accounts.get(address),
            Some(change),
            "{dir} {what}: account {address}"
        );
    }
    assert_eq!(got, want, "{dir} {what}");
}

fn check_dir(dir: &Path) {
    for block in block_dirs(dir) {
        let input = BlockInput::load(&block).unwrap();
        let ctx = BlockContext::new(&input).unwrap();
        let sequential = execute_context(&input, &ctx).unwrap();
        let predictions = analyze_block(&input, &Limits::default());
        for threads in [1, 2, 4] {
            let got = parallel(&input, &ctx, &predictions, threads);
            assert_identical(
                &input,
                &format!("{threads} threads"),
                &got.outcome,
                &sequential,
            );
            assert!(
                check_header(&input, &got.outcome).ok(),
                "{}",
                block.display()
            );
        }
    }
}

#[test]
fn corpus_blocks_are_identical_on_1_2_4_threads() {
    check_dir(&root().join("corpus/blocks"));
}

#[test]
fn mainnet_blocks_are_identical_on_1_2_4_threads() {
    // Kept outside the repository (beside it, or named by LANES_MAINNET); CI (.ci/run)
    // requires it, a fresh clone may not have it.
    let candidates = [
        std::env::var_os("LANES_MAINNET").map(PathBuf::from),
        Some(root().join("../shared/mainnet")),
        Some(root().join("../../shared/mainnet")),
    ];
    match candidates.into_iter().flatten().find(|d| d.is_dir()) {
        Some(dir) => check_dir(&dir),
        None => eprintln!("../shared/mainnet not found: mainnet blocks not checked"),
    }
}

/// The blocks fault injection draws from: the hand-made block and the corpus.
static BLOCKS: LazyLock<Vec<Prepared>> = LazyLock::new(|| {
    let mut dirs = vec![root().join("scheduler/tests/blocks/simple")];
    dirs.extend(block_dirs(&root().join("corpus/blocks")));
    dirs.iter().map(|d| Prepared::new(d)).collect()
});

struct Prepared {
    input: BlockInput,
    ctx: BlockContext,
    sequential: BlockOutcome,
    predictions: Vec<AccessPrediction>,
    /// Every location some prediction names: what faults add.
    locations: Vec<Location>,
}

impl Prepared {
    fn new(dir: &Path) -> Self {
        let input = BlockInput::load(dir).unwrap();
        let ctx = BlockContext::new(&input).unwrap();
        let sequential = execute_context(&input, &ctx).unwrap();
        let predictions = analyze_block(&input, &Limits::default());
        let mut locations: Vec<Location> = predictions
            .iter()
            .flat_map(|p| p.exact.iter().map(|(l, _)| l))
            .collect();
        locations.sort();
        locations.dedup();
        if locations.is_empty() {
            locations.push(Location::balance(Address::ZERO));
        }
        Self {
            input,
            ctx,
            sequential,
            predictions,
            locations,
        }
    }
}

/// One change to one transaction's prediction.
#[derive(Clone, Debug)]
enum Fault {
    /// Drop every exact location whose position (mod `modulus`) is `at`.
    Drop { modulus: usize, at: usize },
    /// Add a location from the block's pool with an access.
    Add { pick: usize, access: Access },
    /// Turn every read into an increment (or every write into a read).
    Alter { reads: bool },
    /// Predict nothing.
    Empty,
    /// Widen to unknown.
    Unknown,
    /// Widen one contract.
    Contract { pick: usize },
}

fn fault() -> impl Strategy<Value = Fault> {
    let access = prop_oneof![
        Just(Access::Read),
        Just(Access::Write),
        Just(Access::Increment)
    ];
    prop_oneof![
        3 => (1usize..4, 0usize..4).prop_map(|(m, a)| Fault::Drop { modulus: m, at: a % m }),
        3 => (any::<usize>(), access).prop_map(|(pick, access)| Fault::Add { pick, access }),
        2 => any::<bool>().prop_map(|reads| Fault::Alter { reads }),
        2 => Just(Fault::Empty),
        1 => Just(Fault::Unknown),
        1 => any::<usize>().prop_map(|pick| Fault::Contract { pick }),
    ]
}

fn apply(fault: &Fault, prediction: &mut AccessPrediction, pool: &[Location]) {
    match *fault {
        Fault::Drop { modulus, at } => {
            let kept: Vec<(Location, Access)> = prediction
                .exact
                .iter()
                .enumerate()
                .filter(|(i, _)| i % modulus != at)
                .map(|(_, x)| x)
                .collect();
            prediction.exact = AccessSet::default();
            for (l, a) in kept {
                prediction.exact.insert(l, a);
            }
        }
        Fault::Add { pick, access } => prediction.exact.insert(pool[pick % pool.len()], access),
        Fault::Alter { reads } => {
            let old: Vec<(Location, Access)> = prediction.exact.iter().collect();
            prediction.exact = AccessSet::default();
            for (l, a) in old {
                let a = match (reads, a) {
                    (true, Access::Read) => Access::Increment,
                    (false, Access::Write) => Access::Read,
                    (_, a) => a,
                };
                prediction.exact.insert(l, a);
            }
        }
        Fault::Empty => *prediction = AccessPrediction::default(),
        Fault::Unknown => *prediction = AccessPrediction::unknown("fault injection"),
        Fault::Contract { pick } => prediction.widened.push(Widening {
            scope: Scope::Contract {
                address: pool[pick % pool.len()].address(),
            },
            access: Access::Write,
            reason: "fault injection".into(),
        }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn fault_injected_predictions_still_give_the_sequential_result(
        block in any::<usize>(),
        threads in 1usize..=4,
        plan in prop_oneof![Just(Plan::Runtime), Just(Plan::ReadsFrom), Just(Plan::Conflicts)],
        faults in prop::collection::vec((any::<usize>(), fault()), 0..24),
    ) {
        let prepared = &BLOCKS[block % BLOCKS.len()];
        let mut predictions = prepared.predictions.clone();
        if !predictions.is_empty() {
            for (tx, fault) in &faults {
                let n = predictions.len();
                apply(fault, &mut predictions[tx % n], &prepared.locations);
            }
        }
        let got = parallel_over(&prepared.input, &prepared.ctx, &predictions, threads, plan);
        prop_assert_eq!(&got.outcome, &prepared.sequential);
    }
}

#[test]
fn extreme_predictions_give_the_sequential_result() {
    for prepared in BLOCKS.iter() {
        let n = prepared.predictions.len();
        let empty = vec![AccessPrediction::default(); n];
        let unknown = vec![AccessPrediction::unknown("everything"); n];
        for threads in [1, 2, 4] {
            for (what, predictions) in [("empty", &empty), ("unknown", &unknown)] {
                let got = parallel(&prepared.input, &prepared.ctx, predictions, threads);
                assert_identical(&prepared.input, what, &got.outcome, &prepared.sequential);
            }
        }
        // Unknown predictions order everything, but only as a guess: an idle worker may run a
        // transaction past a running one, and each that turns out stale names why.
        let got = parallel(&prepared.input, &prepared.ctx, &unknown, 2);
        for r in &got.reexecuted {
            assert!(
                !r.conflicts.is_empty() || r.failed.is_some(),
                "{}: tx {} re-executed without a cause",
                prepared.input.dir.display(),
                r.tx
            );
        }
    }
}

#[test]
fn empty_predictions_on_a_dependent_block_give_the_sequential_result() {
    // The hand-made block's two transactions share a sender: with no predictions both may run
    // at once, and then the second must run again (its nonce was taken). Whether they overlap
    // depends on timing; the result may not.
    let prepared = &BLOCKS[0];
    let empty = vec![AccessPrediction::default(); prepared.predictions.len()];
    for _ in 0..20 {
        let got = parallel(&prepared.input, &prepared.ctx, &empty, 2);
        assert_eq!(got.outcome, prepared.sequential);
        for r in &got.reexecuted {
            assert_eq!(r.tx, 1, "{r:?}");
        }
    }
}

#[test]
fn repeated_runs_with_nothing_predicted_always_give_the_sequential_result() {
    // With no prediction every transaction runs speculatively at once, so the threads race
    // for everything; a race the schedule hides shows up over repeated runs.
    for threads in [2, 4] {
        let pool = pool(threads);
        for prepared in BLOCKS.iter() {
            let empty = vec![AccessPrediction::default(); prepared.predictions.len()];
            let graph = ConflictGraph::build(&empty);
            for round in 0..25 {
                let got = pool
                    .install(|| execute_planned(&prepared.input, &prepared.ctx, &graph))
                    .unwrap();
                assert_identical(
                    &prepared.input,
                    &format!("{threads} threads, round {round}"),
                    &got.outcome,
                    &prepared.sequential,
                );
            }
        }
    }
}
