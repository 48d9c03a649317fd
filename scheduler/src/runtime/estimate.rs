//! What the runtime can expect to gain on a block, from its plan alone: the schedule the
//! runtime itself would follow (a transaction starts once every predicted predecessor is
//! committed, lowest first, commits in block order), simulated on `threads` workers with
//! each transaction weighted by its gas limit, plus what running in parallel costs.

use crate::exec::BlockContext;
use crate::graph::ConflictGraph;

/// What each transaction costs on top in the parallel mode (hand-off, validation, commit,
/// another core's caches), in gas of a plain transfer's pace. Measured on the project's
/// 2-core machine with `lanes bench --workload raw --txs 128 --min-txs 0
/// --min-planned-speedup 0`: transfers take ~1.4 µs each sequentially (21,000 gas) and
/// ~1.9 µs more each in parallel mode.
const TX_OVERHEAD_GAS: f64 = 28_000.0;

/// A plain transfer's gas.
const TRANSFER_GAS: f64 = 21_000.0;

/// What starting the workers costs once per block (waking a parked thread, ~20 µs), in the
/// same units.
const BLOCK_OVERHEAD_GAS: f64 = 300_000.0;

/// Sequential time over the simulated parallel time (1 for an empty block; at most
/// `threads`, and below 1 when the overheads outweigh the parallelism).
pub fn planned_speedup(ctx: &BlockContext, graph: &ConflictGraph, threads: usize) -> f64 {
    let n = ctx.len();
    // Gas limits stand in for durations: known before execution, proportional enough, except
    // for a plain transfer (no input), whose generous limit says nothing about its few steps.
    let weight = |j: usize| {
        ctx.tx(j).map_or(1.0, |t| {
            let limit = t.env.gas_limit.max(1) as f64;
            if t.env.data.is_empty() {
                limit.min(TRANSFER_GAS)
            } else {
                limit
            }
        })
    };
    let mut free = vec![0.0_f64; threads.max(1)];
    // Commit times: the runtime lets a transaction run over uncommitted predecessors only
    // when a worker would otherwise wait, so a plan counts on commits.
    let mut committed_at = vec![0.0_f64; n];
    let mut last_commit = 0.0_f64;
    let mut total = 0.0;
    for j in 0..n {
        let released = graph
            .each_predecessor(j)
            .map(|i| committed_at[i])
            .fold(0.0, f64::max);
        let (worker, at) = free
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        let finish = at.max(released) + weight(j) + TX_OVERHEAD_GAS;
        free[worker] = finish;
        last_commit = last_commit.max(finish);
        committed_at[j] = last_commit;
        total += weight(j);
    }
    if n == 0 {
        1.0
    } else {
        total / (last_commit + BLOCK_OVERHEAD_GAS)
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

    /// Sixteen transactions, each writing its own location or, with `chains`, the location of
    /// its chain (transaction j in chain j % chains).
    fn graph(chains: Option<u8>) -> ConflictGraph {
        let predictions: Vec<AccessPrediction> = (0..16u8)
            .map(|j| {
                let mut p = AccessPrediction::default();
                let key = chains.map_or(j, |c| j % c);
                let location = Location::balance(Address::repeat_byte(key + 1));
                p.exact.insert(location, Access::Write);
                p
            })
            .collect();
        ConflictGraph::build(&predictions)
    }

    #[test]
    fn independent_transactions_promise_more_with_more_threads_up_to_the_threads() {
        let ctx = transfers();
        let independent = graph(None);
        let one = planned_speedup(&ctx, &independent, 1);
        let two = planned_speedup(&ctx, &independent, 2);
        let four = planned_speedup(&ctx, &independent, 4);
        assert!(one < 1.0, "one thread only pays the overheads: {one}");
        assert!(one < two && two < four, "{one} {two} {four}");
        assert!(two <= 2.0 && four <= 4.0, "{two} {four}");
    }

    #[test]
    fn a_chain_promises_nothing() {
        let ctx = transfers();
        let chain = graph(Some(1));
        assert!((1..16).all(|j| chain.predecessors(j) == [j - 1]));
        assert!(planned_speedup(&ctx, &chain, 2) < 1.0);
        assert!(
            (planned_speedup(&ctx, &chain, 2) - planned_speedup(&ctx, &chain, 1)).abs() < 1e-9,
            "a second thread cannot help a chain"
        );
    }

    #[test]
    fn two_interleaved_chains_run_two_at_a_time() {
        // Each transaction waits for the one two before it: two threads are as busy as with
        // independent transactions.
        let ctx = transfers();
        let chains = graph(Some(2));
        assert!((2..16).all(|j| chains.predecessors(j) == [j - 2]));
        let independent = graph(None);
        assert!(
            (planned_speedup(&ctx, &chains, 2) - planned_speedup(&ctx, &independent, 2)).abs()
                < 1e-9
        );
        assert!(planned_speedup(&ctx, &chains, 4) < planned_speedup(&ctx, &independent, 4));
    }
}
