//! Gas-weighted critical path and parallelism.

use crate::graph::ConflictGraph;
use serde::{Deserialize, Serialize};

/// The heaviest chain of dependent transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalPath {
    /// The transactions on the path, in block order.
    pub txs: Vec<usize>,
    /// The sum of their costs.
    pub cost: u64,
}

impl CriticalPath {
    /// The heaviest path of `graph` when transaction `i` costs `cost[i]` (0 past the end of
    /// `cost`); ties go to the
    /// path ending at, and then passing through, the lowest indices.
    pub fn new(graph: &ConflictGraph, cost: &[u64]) -> Self {
        let n = graph.len();
        let mut best = vec![0u64; n];
        let mut via: Vec<Option<usize>> = vec![None; n];
        for j in 0..n {
            for i in graph.predecessors(j) {
                if via[j].is_none() || best[i] > best_of(&best, via[j]) {
                    via[j] = Some(i);
                }
            }
            best[j] = best_of(&best, via[j]).saturating_add(cost.get(j).copied().unwrap_or(0));
        }
        let Some(end) = (0..n).max_by_key(|&j| (best[j], std::cmp::Reverse(j))) else {
            return Self::default();
        };
        let mut txs = vec![end];
        while let Some(i) = via[*txs.last().unwrap_or(&end)] {
            txs.push(i);
        }
        txs.reverse();
        Self {
            txs,
            cost: best[end],
        }
    }
}

fn best_of(best: &[u64], via: Option<usize>) -> u64 {
    via.map_or(0, |i| best[i])
}

/// Total cost over critical-path cost: how many times faster than sequential the block could
/// run with unlimited workers. 1 for an empty block or one that costs nothing.
pub fn parallelism(total: u64, critical: u64) -> f64 {
    if critical == 0 {
        1.0
    } else {
        total as f64 / critical as f64
    }
}
