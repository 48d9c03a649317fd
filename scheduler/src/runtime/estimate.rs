//! What the runtime can expect to gain on a block, from its plan alone: the schedule the
//! runtime itself would follow (a transaction starts once every predicted predecessor is
//! committed, lowest first, commits in block order), simulated on `threads` workers with
//! each transaction weighted by its gas limit.

use crate::exec::BlockContext;
use crate::graph::ConflictGraph;

/// For each transaction, how many transactions must be committed before it may start: one
/// past its latest predecessor in `graph` (0 when it has none).
pub(super) fn release_points(graph: &ConflictGraph, n: usize) -> Vec<usize> {
    (0..n)
        .map(|j| {
            graph
                .predecessors(j)
                .into_iter()
                .filter(|&i| i < j)
                .max()
                .map_or(0, |i| i + 1)
        })
        .collect()
}

/// Sequential time over the simulated parallel time (1 for an empty block).
pub fn planned_speedup(ctx: &BlockContext, graph: &ConflictGraph, threads: usize) -> f64 {
    let n = ctx.len();
    let release = release_points(graph, n);
    // Gas limits stand in for durations: known before execution, proportional enough.
    let weight = |j: usize| ctx.tx(j).map_or(1.0, |t| t.env.gas_limit.max(1) as f64);
    let mut free = vec![0.0_f64; threads.max(1)];
    let mut committed_at = vec![0.0_f64; n];
    let mut last_commit = 0.0_f64;
    let mut total = 0.0;
    for j in 0..n {
        let released = match release[j] {
            0 => 0.0,
            r => committed_at[r - 1],
        };
        let (worker, at) = free
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        let finish = at.max(released) + weight(j);
        free[worker] = finish;
        last_commit = last_commit.max(finish);
        committed_at[j] = last_commit;
        total += weight(j);
    }
    if last_commit > 0.0 {
        total / last_commit
    } else {
        1.0
    }
}
