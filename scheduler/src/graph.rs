//! The conflict DAG of a block: one node per transaction, an edge `i -> j` (`i < j`) when `j`
//! must run after `i`, labelled with the locations or scopes that cause it. The runtime plans on
//! a sparser graph of the same kind ([`ConflictGraph::for_runtime`]).
//!
//! The builder indexes locations (last writer, readers and incrementers since) instead of
//! comparing all pairs, and keeps only the edges no other path implies: the graph is the
//! transitive reduction of the all-pairs conflict graph (same reachability, every edge a real
//! conflict), so a transaction's predecessors are the short dependency list a block builder
//! wants. Batches, critical paths and makespans are the same on both.

mod index;
#[cfg(test)]
pub(crate) mod reference;
#[cfg(test)]
mod tests;

use alloy_primitives::Address;
use lanes_analyzer::{
    Access, AccessPrediction, AccessSet, Location, Scope, SlotOrigins, Widening,
    location::conflicts,
};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Something with exact accesses and (possibly) widened scopes: a prediction or an actual set.
pub trait Accesses {
    /// The locations known exactly.
    fn exact(&self) -> &AccessSet;
    /// The widened scopes (none for actual access sets).
    fn widened(&self) -> &[Widening];
    /// Slot derivations used to match exact hashed slots against families.
    fn origins(&self) -> Option<&SlotOrigins>;
}

impl Accesses for AccessPrediction {
    fn exact(&self) -> &AccessSet {
        &self.exact
    }
    fn widened(&self) -> &[Widening] {
        &self.widened
    }
    fn origins(&self) -> Option<&SlotOrigins> {
        Some(&self.origins)
    }
}

impl Accesses for AccessSet {
    fn exact(&self) -> &AccessSet {
        self
    }
    fn widened(&self) -> &[Widening] {
        &[]
    }
    fn origins(&self) -> Option<&SlotOrigins> {
        None
    }
}

impl Accesses for crate::record::ActualAccess {
    fn exact(&self) -> &AccessSet {
        &self.set
    }
    fn widened(&self) -> &[Widening] {
        &[]
    }
    fn origins(&self) -> Option<&SlotOrigins> {
        Some(&self.origins)
    }
}

/// What one side of a conflict touched: an exact location or a widened scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum Target {
    /// One location.
    Location(Location),
    /// A widened set of locations.
    Scope(Scope),
}

/// The kind of a conflict, as reports count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictClass {
    /// The earlier transaction writes what the later one reads.
    WriteRead,
    /// The earlier transaction reads what the later one writes.
    ReadWrite,
    /// Both write.
    WriteWrite,
    /// An increment against a read or a write (either order).
    Increment,
    /// At least one side is a widened scope.
    Widened,
}

impl ConflictClass {
    /// Classifies a conflict between an earlier and a later access.
    pub const fn of(earlier: Access, later: Access, widened: bool) -> Self {
        if widened {
            return Self::Widened;
        }
        match (earlier, later) {
            (Access::Write, Access::Read) => Self::WriteRead,
            (Access::Read, Access::Write) => Self::ReadWrite,
            (Access::Write, Access::Write) => Self::WriteWrite,
            _ => Self::Increment,
        }
    }
}

/// One reason for an edge: what the earlier and the later transaction touched, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cause {
    /// What the earlier transaction touched.
    pub earlier: Target,
    /// How the earlier transaction touched it.
    pub earlier_access: Access,
    /// What the later transaction touched.
    pub later: Target,
    /// How the later transaction touched it.
    pub later_access: Access,
}

impl Cause {
    /// Whether either side is a widened scope.
    pub const fn is_widened(&self) -> bool {
        matches!(self.earlier, Target::Scope(_)) || matches!(self.later, Target::Scope(_))
    }

    /// The conflict's class.
    pub const fn class(&self) -> ConflictClass {
        ConflictClass::of(self.earlier_access, self.later_access, self.is_widened())
    }

    /// The more specific of the two targets: the exact location if either side has one.
    pub const fn location(&self) -> Target {
        match (self.earlier, self.later) {
            (Target::Location(_), _) | (Target::Scope(_), Target::Scope(_)) => self.earlier,
            (Target::Scope(_), Target::Location(_)) => self.later,
        }
    }
}

/// The label of an edge: every cause the builder found for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// The causes, ordered.
    pub causes: BTreeSet<Cause>,
}

/// Which pairs of accesses to one location make an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Any two that do not commute (DESIGN.md): the block's dependencies, as reports and the
    /// oracle count them.
    Conflicts,
    /// Only those where the later transaction reads what the earlier one changed: a write or an
    /// increment, then a read or a write. A read before a write, and anything before an
    /// increment (a credit applied as a delta), only order the commits, which a runtime that
    /// commits in block order keeps anyway: what it must wait for before running a transaction.
    ReadsFrom,
}

impl Relation {
    /// Whether an `earlier` access and a `later` one of the same location make an edge.
    pub const fn links(self, earlier: Access, later: Access) -> bool {
        match self {
            Self::Conflicts => conflicts(earlier, later),
            Self::ReadsFrom => {
                !matches!(earlier, Access::Read) && !matches!(later, Access::Increment)
            }
        }
    }
}

/// A block's conflict DAG. Node `i` is transaction `i`; edges go from lower to higher indices.
#[derive(Clone, Debug, Default)]
pub struct ConflictGraph {
    /// The graph itself; node weights are transaction indices.
    pub graph: DiGraph<usize, Dependency>,
}

impl ConflictGraph {
    /// Builds the conflict graph of `txs` in block order ([`Relation::Conflicts`]).
    ///
    /// Complexity: about linear in the number of accesses for exact sets; a widened access
    /// also visits the locations touched below its scope since the scope was last written.
    pub fn build<A: Accesses>(txs: &[A]) -> Self {
        Self::build_with(txs, Relation::Conflicts)
    }

    /// Builds the graph of `txs` under `relation`.
    pub fn build_with<A: Accesses>(txs: &[A], relation: Relation) -> Self {
        Self::from_edges(txs.len(), index::build_edges(txs, relation, &[]))
    }

    /// The graph the parallel runtime plans on: [`Relation::ReadsFrom`], where transaction
    /// `j`'s own debit (the nonce and balance of `senders[j]`, when given) counts as an
    /// increment. The runtime runs a transaction on the nonce it carries and only checks at
    /// commit that its sender's balance still covers its cost, so a sender's next transaction
    /// need not wait for its last one (an exchange's or an airdrop's hundreds of transactions
    /// in a block); anything that reads such a balance still waits for every debit and credit
    /// before it. A sender not given (one the block must fund first) keeps its debit a write.
    pub fn for_runtime<A: Accesses>(txs: &[A], senders: &[Option<Address>]) -> Self {
        Self::from_edges(
            txs.len(),
            index::build_edges(txs, Relation::ReadsFrom, senders),
        )
    }

    fn from_edges(n: usize, edges: BTreeMap<(usize, usize), Dependency>) -> Self {
        let mut graph = DiGraph::with_capacity(n, edges.len());
        for i in 0..n {
            graph.add_node(i);
        }
        for ((i, j), dependency) in edges {
            graph.add_edge(NodeIndex::new(i), NodeIndex::new(j), dependency);
        }
        Self { graph }
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether the block has no transactions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The earlier transactions `tx` directly depends on, ascending.
    pub fn predecessors(&self, tx: usize) -> Vec<usize> {
        let mut p: Vec<usize> = self.each_predecessor(tx).collect();
        p.sort_unstable();
        p
    }

    /// The earlier transactions `tx` directly depends on, in no order (no allocation: the
    /// runtime's plan asks this for every transaction of every block it runs).
    pub fn each_predecessor(&self, tx: usize) -> impl Iterator<Item = usize> + '_ {
        self.graph
            .neighbors_directed(NodeIndex::new(tx), Direction::Incoming)
            .map(NodeIndex::index)
    }

    /// Every edge as `(earlier, later, label)`, ordered.
    pub fn edges(&self) -> Vec<(usize, usize, &Dependency)> {
        let mut e: Vec<_> = self
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.graph.edge_endpoints(e)?;
                Some((a.index(), b.index(), &self.graph[e]))
            })
            .collect();
        e.sort_by_key(|(a, b, _)| (*a, *b));
        e
    }

    /// The label of the edge `earlier -> later`, if there is one.
    pub fn dependency(&self, earlier: usize, later: usize) -> Option<&Dependency> {
        let e = self
            .graph
            .find_edge(NodeIndex::new(earlier), NodeIndex::new(later))?;
        Some(&self.graph[e])
    }
}
