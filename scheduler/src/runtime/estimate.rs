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
        .map(|j| graph.latest_predecessor(j).map_or(0, |i| i + 1))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Workload, WorkloadKind};
    use alloy_primitives::Address;
    use lanes_analyzer::{Access, AccessPrediction, Location};

    /// Sixteen plain transfers, all with the same gas limit.
    fn transfers() -> BlockContext {
        let input = Workload::new(WorkloadKind::Raw, 16).generate().unwrap();
        let ctx = BlockContext::new(&input).unwrap();
        let limit = ctx.tx(0).unwrap().env.gas_limit;
        assert!((0..16).all(|j| ctx.tx(j).unwrap().env.gas_limit == limit));
        ctx
    }

    #[test]
    fn independent_transactions_promise_one_per_thread() {
        let ctx = transfers();
        let graph = ConflictGraph::build(&vec![AccessPrediction::default(); 16]);
        assert!((planned_speedup(&ctx, &graph, 2) - 2.0).abs() < 1e-9);
        assert!((planned_speedup(&ctx, &graph, 4) - 4.0).abs() < 1e-9);
        assert!((planned_speedup(&ctx, &graph, 1) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_chain_promises_nothing() {
        let ctx = transfers();
        let mut chained = AccessPrediction::default();
        chained
            .exact
            .insert(Location::balance(Address::ZERO), Access::Write);
        let graph = ConflictGraph::build(&vec![chained; 16]);
        assert!((planned_speedup(&ctx, &graph, 2) - 1.0).abs() < 1e-9);
        assert_eq!(release_points(&graph, 16), (0..16).collect::<Vec<_>>());
    }

    #[test]
    fn two_chains_interleaved_wait_for_the_prefix() {
        // Even transactions form one chain, odd ones another: each waits for the one two
        // before it, so with commits in block order two run at a time.
        let ctx = transfers();
        let predictions: Vec<AccessPrediction> = (0..16u8)
            .map(|j| {
                let mut p = AccessPrediction::default();
                let chain = Address::repeat_byte(j % 2 + 1);
                p.exact.insert(Location::balance(chain), Access::Write);
                p
            })
            .collect();
        let graph = ConflictGraph::build(&predictions);
        let release = release_points(&graph, 16);
        assert_eq!(release[..4], [0, 0, 1, 2]);
        assert!((planned_speedup(&ctx, &graph, 2) - 2.0).abs() < 1e-9);
    }
}
