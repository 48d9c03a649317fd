//! The `raw` workload: plain ETH transfers.

use crate::stages;
use criterion::Criterion;
use lanes_scheduler::WorkloadKind;

fn raw(c: &mut Criterion) {
    stages::workload(c, WorkloadKind::Raw);
}

criterion::criterion_group! {
    name = benches;
    config = stages::config();
    targets = raw
}
