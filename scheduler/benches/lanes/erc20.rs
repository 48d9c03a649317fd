//! The `erc20` workload: ERC20 transfers over a few tokens.

use crate::stages;
use criterion::Criterion;
use lanes_scheduler::WorkloadKind;

fn erc20(c: &mut Criterion) {
    stages::workload(c, WorkloadKind::Erc20);
}

criterion::criterion_group! {
    name = benches;
    config = stages::config();
    targets = erc20
}
