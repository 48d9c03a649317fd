//! The `mixed` workload: a random mix of the three.

use crate::stages;
use criterion::Criterion;
use lanes_scheduler::WorkloadKind;

fn mixed(c: &mut Criterion) {
    stages::workload(c, WorkloadKind::Mixed);
}

criterion::criterion_group! {
    name = benches;
    config = stages::config();
    targets = mixed
}
