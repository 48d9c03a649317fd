//! The stages every workload benchmarks.

use criterion::{BenchmarkId, Criterion, Throughput};
use lanes_analyzer::{BlockInput, Limits, analyze_block};
use lanes_scheduler::exec::BlockContext;
use lanes_scheduler::runtime::{RuntimeOptions, execute_parallel, runtime_plan};
use lanes_scheduler::{Workload, WorkloadKind, execute_sequential, plan};
use std::time::Duration;

/// Transactions in each generated block (the `lanes bench` runs use 5,000 and more; criterion
/// repeats each stage many times, so its blocks are smaller).
pub(crate) const TXS: usize = 1_000;

/// Worker threads of the parallel runtime (this project measures on two cores).
const THREADS: usize = 2;

/// A criterion configuration that keeps the whole suite within minutes on two cores.
pub(crate) fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// A generated workload, without and with a hot spot.
pub(crate) fn workload(c: &mut Criterion, kind: WorkloadKind) {
    for hot_ratio in [0.0, 0.5] {
        let input = Workload::new(kind, TXS)
            .with_hot_ratio(hot_ratio)
            .generate()
            .expect("generated workloads execute");
        block(c, &format!("{kind}-{TXS}-hot{hot_ratio}"), &input);
    }
}

/// analyze, plan and execute (sequential, and parallel on [`THREADS`] threads) on one block.
pub(crate) fn block(c: &mut Criterion, name: &str, input: &BlockInput) {
    let outcome = execute_sequential(input).expect("the block executes");
    let gas: Vec<u64> = outcome.receipts.iter().map(|r| r.gas_used).collect();
    let predictions = analyze_block(input, &Limits::default());
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(input.transactions().len() as u64));
    group.bench_function(BenchmarkId::from_parameter("analyze"), |b| {
        b.iter(|| analyze_block(input, &Limits::default()));
    });
    group.bench_function(BenchmarkId::from_parameter("plan"), |b| {
        b.iter(|| plan(&predictions, &gas).expect("one cost per transaction"));
    });
    group.bench_function(BenchmarkId::from_parameter("execute-sequential"), |b| {
        b.iter(|| execute_sequential(input).expect("the block executes"));
    });
    let ctx = BlockContext::new(input).expect("the block executes");
    let plan = runtime_plan(input, &ctx, &predictions);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("a thread pool");
    let parallel = || {
        pool.install(|| {
            execute_parallel(input, &ctx, &plan, RuntimeOptions::default())
                .expect("the block executes")
        })
    };
    assert_eq!(parallel().outcome, outcome, "{name}: parallel differs");
    group.bench_function(
        BenchmarkId::new("execute-parallel", format!("{THREADS}-threads")),
        |b| b.iter(parallel),
    );
    group.finish();
}
