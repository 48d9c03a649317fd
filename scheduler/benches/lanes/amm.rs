//! The `amm` workload: router swaps, each on its own pair.

use crate::stages;
use criterion::Criterion;
use lanes_scheduler::WorkloadKind;

fn amm(c: &mut Criterion) {
    stages::workload(c, WorkloadKind::Amm);
}

criterion::criterion_group! {
    name = benches;
    config = stages::config();
    targets = amm
}
