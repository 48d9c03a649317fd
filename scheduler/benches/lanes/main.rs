//! Criterion benchmarks of lanes' three stages — analyze (predict every transaction's
//! accesses), plan (graph and batches) and execute (sequential revm, and the parallel runtime
//! on two threads) — on corpus blocks and on generated workloads, one module per workload.
//!
//! `cargo bench -p lanes-scheduler --bench lanes [-- FILTER]`, e.g. `-- erc20`.

mod amm;
mod corpus;
mod erc20;
mod mixed;
mod raw;
mod stages;

criterion::criterion_main!(
    corpus::benches,
    raw::benches,
    erc20::benches,
    amm::benches,
    mixed::benches
);
