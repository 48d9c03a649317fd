//! Simulated scaling: the makespan of a block's conflict DAG on `k` workers by list
//! scheduling, for machines bigger than the one lanes runs on.
//!
//! Whenever a worker is free, it takes the ready transaction with the heaviest remaining path
//! (its *bottom level*: its own cost plus the heaviest chain of transactions that depend on
//! it), lowest index first on ties. A transaction is ready once everything it depends on has
//! finished. Cost is gas, or measured time per transaction when the caller has it.

use crate::graph::ConflictGraph;
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The worker counts reports simulate.
pub const WORKERS: [usize; 5] = [2, 4, 8, 16, 32];

/// One transaction placed on a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// The transaction.
    pub tx: usize,
    /// The worker, `0..k`.
    pub worker: usize,
    /// When it starts.
    pub start: u64,
    /// When it ends (`start + cost`).
    pub end: u64,
}

/// A simulated schedule on `workers` workers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Number of workers.
    pub workers: usize,
    /// Every transaction's slot, in block order.
    pub slots: Vec<Slot>,
    /// When the last transaction ends.
    pub makespan: u64,
}

impl Schedule {
    /// List-schedules `graph` on `workers` workers (at least one) with `cost[i]` per transaction
    /// (0 past the end of `cost`).
    pub fn new(graph: &ConflictGraph, cost: &[u64], workers: usize) -> Self {
        let workers = workers.max(1);
        let n = graph.len();
        let level = bottom_levels(graph, cost);
        let mut waiting: Vec<usize> = (0..n)
            .map(|j| {
                graph
                    .graph
                    .neighbors_directed(NodeIndex::new(j), Direction::Incoming)
                    .count()
            })
            .collect();
        let mut ready: BinaryHeap<(u64, Reverse<usize>)> = (0..n)
            .filter(|&j| waiting[j] == 0)
            .map(|j| (level[j], Reverse(j)))
            .collect();
        let mut free: BinaryHeap<Reverse<usize>> = (0..workers).map(Reverse).collect();
        let mut running: BinaryHeap<Reverse<(u64, usize, usize)>> = BinaryHeap::new();
        let mut slots = vec![
            Slot {
                tx: 0,
                worker: 0,
                start: 0,
                end: 0
            };
            n
        ];
        let mut now = 0u64;
        loop {
            while !free.is_empty() && !ready.is_empty() {
                let (Some(Reverse(worker)), Some((_, Reverse(tx)))) = (free.pop(), ready.pop())
                else {
                    break;
                };
                let end = now.saturating_add(cost.get(tx).copied().unwrap_or(0));
                slots[tx] = Slot {
                    tx,
                    worker,
                    start: now,
                    end,
                };
                running.push(Reverse((end, worker, tx)));
            }
            let Some(Reverse((end, _, _))) = running.peek().copied() else {
                break;
            };
            now = end;
            while let Some(Reverse((e, worker, tx))) = running.peek().copied() {
                if e != now {
                    break;
                }
                running.pop();
                free.push(Reverse(worker));
                for next in graph
                    .graph
                    .neighbors_directed(NodeIndex::new(tx), Direction::Outgoing)
                {
                    let k = next.index();
                    waiting[k] -= 1;
                    if waiting[k] == 0 {
                        ready.push((level[k], Reverse(k)));
                    }
                }
            }
        }
        let makespan = slots.iter().map(|s| s.end).max().unwrap_or(0);
        Self {
            workers,
            slots,
            makespan,
        }
    }
}

/// Each transaction's cost plus the heaviest chain of transactions after it.
fn bottom_levels(graph: &ConflictGraph, cost: &[u64]) -> Vec<u64> {
    let n = graph.len();
    let mut level = vec![0u64; n];
    for j in (0..n).rev() {
        let after = graph
            .graph
            .neighbors_directed(NodeIndex::new(j), Direction::Outgoing)
            .map(|k| level[k.index()])
            .max()
            .unwrap_or(0);
        level[j] = after.saturating_add(cost.get(j).copied().unwrap_or(0));
    }
    level
}

/// Sequential cost over makespan; 1 when the block costs nothing.
pub fn speedup(total: u64, makespan: u64) -> f64 {
    if makespan == 0 {
        1.0
    } else {
        total as f64 / makespan as f64
    }
}
