//! The slow all-pairs reference the indexed builder is tested against.

use super::{Accesses, Relation};
use lanes_analyzer::SlotOrigins;

/// Whether `earlier` and `later` are linked directly under `relation`, by the foundation's
/// definitions.
pub(crate) fn direct_conflict<A: Accesses>(
    earlier: &A,
    later: &A,
    origins: &SlotOrigins,
    relation: Relation,
) -> bool {
    let conflicts = |a, b| relation.links(a, b);
    for (l, a) in earlier.exact().iter() {
        for (m, b) in later.exact().iter() {
            if l == m && conflicts(a, b) {
                return true;
            }
        }
        for w in later.widened() {
            if conflicts(a, w.access) && w.scope.contains(&l, origins) {
                return true;
            }
        }
    }
    for w in earlier.widened() {
        for (m, b) in later.exact().iter() {
            if conflicts(w.access, b) && w.scope.contains(&m, origins) {
                return true;
            }
        }
        for v in later.widened() {
            if conflicts(w.access, v.access) && w.scope.intersects(&v.scope, origins) {
                return true;
            }
        }
    }
    false
}

/// The union of the transactions' slot origins.
pub(crate) fn union_origins<A: Accesses>(txs: &[A]) -> SlotOrigins {
    let mut origins = SlotOrigins::default();
    for tx in txs {
        if let Some(o) = tx.origins() {
            origins.extend(o);
        }
    }
    origins
}

/// The transitive closure of an edge list over `n` nodes: `reach[i]` has bit `j` when `j` is
/// reachable from `i` (edges go from lower to higher indices, `n <= 64`).
pub(crate) fn closure(n: usize, edges: impl IntoIterator<Item = (usize, usize)>) -> Vec<u64> {
    let mut direct = vec![0u64; n];
    for (i, j) in edges {
        direct[i] |= 1 << j;
    }
    let mut reach = vec![0u64; n];
    for i in (0..n).rev() {
        let r = (i + 1..n)
            .filter(|j| direct[i] & (1 << j) != 0)
            .fold(direct[i], |r, j| r | reach[j]);
        reach[i] = r;
    }
    reach
}

/// The all-pairs edges of `txs` under `relation`.
pub(crate) fn all_pairs<A: Accesses>(txs: &[A], relation: Relation) -> Vec<(usize, usize)> {
    let origins = union_origins(txs);
    let mut edges = Vec::new();
    for j in 0..txs.len() {
        for i in 0..j {
            if direct_conflict(&txs[i], &txs[j], &origins, relation) {
                edges.push((i, j));
            }
        }
    }
    edges
}
