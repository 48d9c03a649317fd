//! Conflict-free batches that respect block order: `batch(j) = 1 + max batch(i)` over the
//! transactions `i` that `j` depends on, 0 when there are none.
//!
//! Plain graph colouring would be wrong: it can put a later transaction in an earlier batch
//! than one it conflicts with.

use crate::graph::ConflictGraph;
use serde::{Deserialize, Serialize};

/// The batches of a block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batches {
    /// The batch of each transaction.
    pub of: Vec<usize>,
    /// The transactions of each batch, ascending.
    pub batches: Vec<Vec<usize>>,
}

impl Batches {
    /// Assigns every transaction of `graph` to its batch.
    pub fn new(graph: &ConflictGraph) -> Self {
        let mut of = vec![0usize; graph.len()];
        let mut batches: Vec<Vec<usize>> = Vec::new();
        // Edges go from lower to higher indices, so block order is a topological order.
        for j in 0..graph.len() {
            let b = graph
                .predecessors(j)
                .into_iter()
                .map(|i| of[i] + 1)
                .max()
                .unwrap_or(0);
            of[j] = b;
            if batches.len() <= b {
                batches.resize_with(b + 1, Vec::new);
            }
            batches[b].push(j);
        }
        Self { of, batches }
    }

    /// Number of batches.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    /// Whether there are no batches (an empty block).
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}
