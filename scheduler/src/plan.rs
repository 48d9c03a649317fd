//! The scheduler's entry point: from access sets to graph, batches, critical path,
//! parallelism and simulated scaling.

use crate::batches::Batches;
use crate::graph::{Accesses, ConflictGraph};
use crate::metrics::{CriticalPath, parallelism};
use crate::simulate::{Schedule, WORKERS, speedup};
use std::collections::BTreeMap;

#[cfg(test)]
mod tests;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// One cost per transaction is needed.
    #[error("{txs} transactions but {costs} costs")]
    CostCount {
        /// Number of transactions.
        txs: usize,
        /// Number of costs given.
        costs: usize,
    },
}

/// Everything the scheduler derives from a block's access sets.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The conflict DAG.
    pub graph: ConflictGraph,
    /// Conflict-free batches in block order.
    pub batches: Batches,
    /// The heaviest dependent chain.
    pub critical_path: CriticalPath,
    /// The cost of each transaction (gas, or measured time).
    pub cost: Vec<u64>,
    /// The sum of the costs.
    pub total_cost: u64,
    /// `total_cost / critical_path.cost`.
    pub parallelism: f64,
    /// Simulated makespan on `k` workers, for each `k` in [`WORKERS`].
    pub simulated: BTreeMap<usize, u64>,
}

/// Plans a block: `txs` are predictions (or actual access sets, for the oracle) in block
/// order and `cost[i]` is transaction `i`'s gas used or measured time.
pub fn plan<A: Accesses>(txs: &[A], cost: &[u64]) -> Result<Plan, PlanError> {
    if txs.len() != cost.len() {
        return Err(PlanError::CostCount {
            txs: txs.len(),
            costs: cost.len(),
        });
    }
    let graph = ConflictGraph::build(txs);
    let batches = Batches::new(&graph);
    let critical_path = CriticalPath::new(&graph, cost);
    let total_cost = cost.iter().fold(0u64, |a, c| a.saturating_add(*c));
    let simulated = WORKERS
        .iter()
        .map(|&k| (k, Schedule::new(&graph, cost, k).makespan))
        .collect();
    Ok(Plan {
        parallelism: parallelism(total_cost, critical_path.cost),
        graph,
        batches,
        critical_path,
        cost: cost.to_vec(),
        total_cost,
        simulated,
    })
}

impl Plan {
    /// For each transaction, the earlier transactions it directly depends on (a list a block
    /// builder can use; dependencies implied by others may be left out).
    pub fn dependencies(&self) -> Vec<Vec<usize>> {
        (0..self.graph.len())
            .map(|j| self.graph.predecessors(j))
            .collect()
    }

    /// The simulated schedule on `workers` workers.
    pub fn schedule(&self, workers: usize) -> Schedule {
        Schedule::new(&self.graph, &self.cost, workers)
    }

    /// Simulated speedup over sequential on `workers` workers.
    pub fn speedup(&self, workers: usize) -> f64 {
        let makespan = self
            .simulated
            .get(&workers)
            .copied()
            .unwrap_or_else(|| self.schedule(workers).makespan);
        speedup(self.total_cost, makespan)
    }
}

/// Predicted parallelism over oracle parallelism (1 when the oracle's is 0, which cannot
/// happen for a non-empty block).
pub fn parallelism_ratio(predicted: &Plan, oracle: &Plan) -> f64 {
    if oracle.parallelism == 0.0 {
        1.0
    } else {
        predicted.parallelism / oracle.parallelism
    }
}
