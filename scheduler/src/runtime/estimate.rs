//! What the runtime can expect to gain on a block, from its plan alone: the schedule the
//! runtime itself would follow (a transaction starts once every predicted predecessor is
//! committed, lowest first, commits in block order), simulated on `threads` workers with each
//! transaction weighted by its predicted work, plus what running in parallel costs.
//!
//! The constants are nanoseconds on the project's 2-core machine. A transaction's sequential
//! time was fitted on every transaction of the mainnet blocks from Byzantium on and the corpus
//! (13,579, timed alone in revm): `TX_NS + STEP_NS * work` has a median relative error of 0.18
//! on those that run code, against 0.60 for a time proportional to the gas limit. The two
//! overheads were fitted on 73 blocks' measured speedups with the parallel mode never falling
//! back (`lanes execute ../shared/mainnet corpus/blocks --threads 2 --min-planned-speedup 0`):
//! the planned speedup's RMS log error is 0.17 (0.23 with gas-limit weights).

use super::RuntimePlan;

/// A transaction's fixed cost: a plain transfer's median time.
const TX_NS: f64 = 2_300.0;

/// One step of work ([`lanes_analyzer::AccessPrediction::work`]).
const STEP_NS: f64 = 15.0;

/// What each transaction costs on top in the parallel mode: hand-off, validation, commit,
/// another core's caches, and the two cores slowing each other down.
const TX_OVERHEAD_NS: f64 = 3_500.0;

/// What starting the workers costs once per block (waking a parked thread).
const BLOCK_OVERHEAD_NS: f64 = 20_000.0;

/// Sequential time over the simulated parallel time (1 for an empty block; at most
/// `threads`, and below 1 when the overheads outweigh the parallelism).
pub fn planned_speedup(plan: &RuntimePlan, threads: usize) -> f64 {
    let n = plan.work.len();
    #[expect(clippy::cast_precision_loss, reason = "a time estimate")]
    let weight = |j: usize| TX_NS + STEP_NS * plan.work[j] as f64;
    let mut free = vec![0.0_f64; threads.max(1)];
    // Commit times: the runtime lets a transaction run over uncommitted predecessors only
    // when a worker would otherwise wait, so a plan counts on commits.
    let mut committed_at = vec![0.0_f64; n];
    let mut last_commit = 0.0_f64;
    let mut total = 0.0;
    for j in 0..n {
        let released = plan
            .graph
            .each_predecessor(j)
            .map(|i| committed_at[i])
            .fold(0.0, f64::max);
        let (worker, at) = free
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        let finish = at.max(released) + weight(j) + TX_OVERHEAD_NS;
        free[worker] = finish;
        last_commit = last_commit.max(finish);
        committed_at[j] = last_commit;
        total += weight(j);
    }
    if n == 0 {
        1.0
    } else {
        total / (last_commit + BLOCK_OVERHEAD_NS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ConflictGraph;
    use alloy_primitives::Address;
    use lanes_analyzer::{Access, AccessPrediction, Location};

    /// Sixteen transactions computing `work` steps each, each writing its own location or, with
    /// `chains`, the location of its chain (transaction j in chain j % chains).
    fn plan(chains: Option<u8>, work: u64) -> RuntimePlan {
        let predictions: Vec<AccessPrediction> = (0..16u8)
            .map(|j| {
                let mut p = AccessPrediction::default();
                let key = chains.map_or(j, |c| j % c);
                let location = Location::balance(Address::repeat_byte(key + 1));
                p.exact.insert(location, Access::Write);
                p.work = work;
                p
            })
            .collect();
        RuntimePlan {
            graph: ConflictGraph::build(&predictions),
            work: predictions.iter().map(|p| p.work).collect(),
        }
    }

    /// A contract call of some weight: about 150 µs.
    const HEAVY: u64 = 10_000;

    #[test]
    fn independent_transactions_promise_more_with_more_threads_up_to_the_threads() {
        let independent = plan(None, HEAVY);
        let one = planned_speedup(&independent, 1);
        let two = planned_speedup(&independent, 2);
        let four = planned_speedup(&independent, 4);
        assert!(one < 1.0, "one thread only pays the overheads: {one}");
        assert!(one < two && two < four, "{one} {two} {four}");
        assert!(two <= 2.0 && four <= 4.0, "{two} {four}");
    }

    #[test]
    fn cheap_transactions_do_not_pay_for_their_hand_off_where_heavy_ones_do() {
        let transfers = planned_speedup(&plan(None, 0), 2);
        let calls = planned_speedup(&plan(None, HEAVY), 2);
        assert!(transfers < 1.0 && calls > 1.5, "{transfers} {calls}");
    }

    #[test]
    fn a_chain_promises_nothing() {
        let chain = plan(Some(1), HEAVY);
        assert!((1..16).all(|j| chain.graph.predecessors(j) == [j - 1]));
        assert!(planned_speedup(&chain, 2) < 1.0);
        assert!(
            (planned_speedup(&chain, 2) - planned_speedup(&chain, 1)).abs() < 1e-9,
            "a second thread cannot help a chain"
        );
    }

    #[test]
    fn two_interleaved_chains_run_two_at_a_time() {
        // Each transaction waits for the one two before it: two threads are as busy as with
        // independent transactions.
        let chains = plan(Some(2), HEAVY);
        assert!((2..16).all(|j| chains.graph.predecessors(j) == [j - 2]));
        let independent = plan(None, HEAVY);
        assert!((planned_speedup(&chains, 2) - planned_speedup(&independent, 2)).abs() < 1e-9);
        assert!(planned_speedup(&chains, 4) < planned_speedup(&independent, 4));
    }
}
