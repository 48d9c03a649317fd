//! The indexed graph builder.
//!
//! Locations and scopes form a hierarchy of *regions*: `Unknown` above every `Contract(a)`,
//! above every `Family(a, root)`, above the exact storage slots of `a`. A slot (or a family's
//! root) sits under each family it derives from, by the union of the transactions' slot
//! origins, so a nested mapping's family sits inside the outer one; balances, nonces and code
//! sit directly under `Unknown`. Two regions overlap exactly when one is above the other (or
//! they are equal), which is `Scope::contains` / `Scope::intersects`; derivation chains are
//! paths, so the regions above any one region are pairwise comparable, which is what lets a
//! scope write stand in for itself in the regions below it.
//!
//! Each region keeps the accesses made *at* it since it was last written (its last writer,
//! readers and incrementers since) and, if it is a scope, the regions below it touched since
//! it was last written (`dirty`). An access links to what it conflicts with in its own region,
//! in the regions above it, and in the dirty regions below it; a write at a scope resets the
//! dirty regions below it to "last written by this transaction", having linked everything it
//! resets. Under [`Relation::Conflicts`] every entry of a region's readers/incrementers reaches
//! its last writer, so a read links the writer only when no incrementer came since (and the
//! other way round); under [`Relation::ReadsFrom`] readers link nothing and incrementers do not
//! reach the writer, so a read or a write links the writer and every incrementer since.

use super::{Accesses, Cause, Dependency, Relation, Target};
use alloy_primitives::map::{HashMap, HashSet};
use alloy_primitives::{Address, U256};
use lanes_analyzer::{Access, Location, Scope, SlotOrigins};
use std::collections::BTreeMap;

type RegionId = usize;

/// A node of the region hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Region {
    Unknown,
    Contract(Address),
    Family(Address, U256),
    Exact(Location),
}

impl Region {
    fn of_scope(scope: Scope) -> Self {
        match scope {
            Scope::Unknown => Self::Unknown,
            Scope::Contract { address } => Self::Contract(address),
            Scope::Family { address, root } => Self::Family(address, root),
        }
    }

    fn target(self) -> Target {
        match self {
            Self::Unknown => Target::Scope(Scope::Unknown),
            Self::Contract(address) => Target::Scope(Scope::Contract { address }),
            Self::Family(address, root) => Target::Scope(Scope::Family { address, root }),
            Self::Exact(location) => Target::Location(location),
        }
    }
}

/// One access recorded in a region: which transaction, and at which region it was made (a
/// scope write recorded in the regions below it keeps the scope, so labels stay honest).
#[derive(Clone, Copy, Debug)]
struct Entry {
    tx: usize,
    at: RegionId,
}

#[derive(Debug, Default)]
struct Frontier {
    writer: Option<Entry>,
    readers: Vec<Entry>,
    increments: Vec<Entry>,
}

impl Frontier {
    /// The entries an access of kind `access` links to under `relation` (see the module
    /// documentation for why some are left out).
    fn conflicting(
        &self,
        access: Access,
        relation: Relation,
    ) -> impl Iterator<Item = (Entry, Access)> + '_ {
        let readers = self.readers.iter().map(|e| (*e, Access::Read));
        let increments = self.increments.iter().map(|e| (*e, Access::Increment));
        let (with_writer, with_readers, with_increments) = match (relation, access) {
            (Relation::Conflicts, Access::Write) => (
                self.readers.is_empty() && self.increments.is_empty(),
                true,
                true,
            ),
            (Relation::Conflicts, Access::Read) => (self.increments.is_empty(), false, true),
            (Relation::Conflicts, Access::Increment) => (self.readers.is_empty(), true, false),
            (Relation::ReadsFrom, Access::Read | Access::Write) => (true, false, true),
            (Relation::ReadsFrom, Access::Increment) => (false, false, false),
        };
        let writer = self
            .writer
            .filter(|_| with_writer)
            .map(|e| (e, Access::Write));
        writer
            .into_iter()
            .chain(readers.filter(move |_| with_readers))
            .chain(increments.filter(move |_| with_increments))
    }

    fn record(&mut self, entry: Entry, access: Access) {
        let list = match access {
            Access::Write => {
                self.writer = Some(entry);
                self.readers.clear();
                self.increments.clear();
                return;
            }
            Access::Read => &mut self.readers,
            Access::Increment => &mut self.increments,
        };
        if list
            .last()
            .is_none_or(|e| e.tx != entry.tx || e.at != entry.at)
        {
            list.push(entry);
        }
    }
}

#[derive(Debug)]
struct State {
    region: Region,
    above: Vec<RegionId>,
    own: Frontier,
    dirty: Vec<RegionId>,
    dirty_set: HashSet<RegionId>,
}

struct Index<'a> {
    relation: Relation,
    states: Vec<State>,
    ids: HashMap<Region, RegionId>,
    families: BTreeMap<Address, Vec<U256>>,
    origins: &'a SlotOrigins,
}

impl Index<'_> {
    fn id(&mut self, region: Region) -> RegionId {
        if let Some(id) = self.ids.get(&region) {
            return *id;
        }
        let above = match region {
            Region::Unknown => vec![],
            Region::Family(address, slot) | Region::Exact(Location::Storage { address, slot }) => {
                let mut above = vec![self.id(Region::Unknown), self.id(Region::Contract(address))];
                let roots = self.families.get(&address).cloned().unwrap_or_default();
                for root in roots {
                    if self.origins.derives_from(slot, root) {
                        above.push(self.id(Region::Family(address, root)));
                    }
                }
                above
            }
            Region::Contract(_) | Region::Exact(_) => vec![self.id(Region::Unknown)],
        };
        let id = self.states.len();
        self.states.push(State {
            region,
            above,
            own: Frontier::default(),
            dirty: Vec::new(),
            dirty_set: HashSet::default(),
        });
        self.ids.insert(region, id);
        id
    }

    /// Links every earlier access that `(tx, at, access)` depends on into `edges`.
    fn scan(&self, at: RegionId, access: Access, tx: usize, found: &mut Vec<(usize, Cause)>) {
        let state = &self.states[at];
        let regions = std::iter::once(at)
            .chain(state.above.iter().copied())
            .chain(state.dirty.iter().copied());
        for region in regions {
            let own = &self.states[region].own;
            for (entry, earlier_access) in own.conflicting(access, self.relation) {
                if entry.tx == tx || !self.relation.links(earlier_access, access) {
                    continue;
                }
                let cause = Cause {
                    earlier: self.states[entry.at].region.target(),
                    earlier_access,
                    later: state.region.target(),
                    later_access: access,
                };
                found.push((entry.tx, cause));
            }
        }
    }

    fn record(&mut self, at: RegionId, access: Access, tx: usize) {
        let entry = Entry { tx, at };
        if access == Access::Write {
            let dirty = std::mem::take(&mut self.states[at].dirty);
            self.states[at].dirty_set.clear();
            for below in dirty {
                self.states[below].own = Frontier {
                    writer: Some(entry),
                    ..Frontier::default()
                };
            }
        }
        self.states[at].own.record(entry, access);
        for i in 0..self.states[at].above.len() {
            let above = self.states[at].above[i];
            if self.states[above].dirty_set.insert(at) {
                self.states[above].dirty.push(at);
            }
        }
    }
}

/// Every accessed region of one transaction with its access, scopes first (so that recording
/// a scope write does not relabel the transaction's own exact writes below it). Writes of the
/// nonce and balance of `debited` count as increments (see [`super::ConflictGraph::for_runtime`]).
fn accesses<A: Accesses>(tx: &A, debited: Option<Address>) -> Vec<(Region, Access)> {
    let mut out: Vec<(Region, Access)> = tx
        .widened()
        .iter()
        .map(|w| (Region::of_scope(w.scope), w.access))
        .collect();
    out.extend(tx.exact().iter().map(|(l, a)| {
        let debit = a == Access::Write
            && debited.is_some_and(|s| l == Location::nonce(s) || l == Location::balance(s));
        (Region::Exact(l), if debit { Access::Increment } else { a })
    }));
    out
}

/// The deduplicated edges of the graph of `txs` under `relation`, keyed by `(earlier, later)`.
/// `debited[j]`, if given, is transaction `j`'s sender.
pub(super) fn build_edges<A: Accesses>(
    txs: &[A],
    relation: Relation,
    debited: &[Option<Address>],
) -> BTreeMap<(usize, usize), Dependency> {
    let mut origins = SlotOrigins::default();
    let mut families: BTreeMap<Address, Vec<U256>> = BTreeMap::new();
    for tx in txs {
        if let Some(o) = tx.origins() {
            origins.extend(o);
        }
        for w in tx.widened() {
            if let Scope::Family { address, root } = w.scope {
                let roots = families.entry(address).or_default();
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
        }
    }
    let mut index = Index {
        relation,
        states: Vec::new(),
        ids: HashMap::default(),
        families,
        origins: &origins,
    };
    let mut edges = BTreeMap::new();
    let mut ancestors = Ancestors::new(txs.len());
    let mut found = Vec::new();
    for (j, tx) in txs.iter().enumerate() {
        let regions: Vec<(RegionId, Access)> = accesses(tx, debited.get(j).copied().flatten())
            .into_iter()
            .map(|(r, a)| (index.id(r), a))
            .collect();
        // Scan everything first, then record: a transaction never links to itself and its own
        // writes cannot hide what its other accesses conflict with.
        found.clear();
        for &(at, access) in &regions {
            index.scan(at, access, j, &mut found);
        }
        ancestors.link(j, &mut found, &mut edges);
        for &(at, access) in &regions {
            index.record(at, access, j);
        }
    }
    edges
}

/// Above this many transactions, ancestor sets (n² bits) are not kept and every candidate
/// edge is kept.
const MAX_REDUCED: usize = 16_384;

/// Each transaction's ancestors as a bit set, to keep only the edges no other edge implies.
///
/// Without it, a widened read after many exact writes (or many widened reads after them) links
/// to every one of them again and again: measured, 1,000 `Unknown` reads after 1,000 writes
/// gave 1.5 million edges where 2,000 carry the same dependencies.
struct Ancestors {
    words: usize,
    bits: Vec<u64>,
}

impl Ancestors {
    fn new(n: usize) -> Self {
        let words = n.div_ceil(64);
        let bits = if n <= MAX_REDUCED {
            vec![0; n * words]
        } else {
            Vec::new()
        };
        Self { words, bits }
    }

    /// Turns the candidate predecessors of `j` into edges: latest first, a candidate that is
    /// already an ancestor of a kept one is implied and dropped (its causes with it).
    fn link(
        &mut self,
        j: usize,
        found: &mut [(usize, Cause)],
        edges: &mut BTreeMap<(usize, usize), Dependency>,
    ) {
        found.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
        if self.bits.is_empty() {
            for &(i, cause) in found.iter() {
                edges.entry((i, j)).or_default().causes.insert(cause);
            }
            return;
        }
        let w = self.words;
        let mut reach = vec![0u64; w];
        let mut kept: Option<usize> = None;
        for &(i, cause) in found.iter() {
            if kept != Some(i) {
                if reach[i / 64] & (1 << (i % 64)) != 0 {
                    continue;
                }
                kept = Some(i);
                for (r, a) in reach.iter_mut().zip(&self.bits[i * w..(i + 1) * w]) {
                    *r |= a;
                }
                reach[i / 64] |= 1 << (i % 64);
            }
            edges.entry((i, j)).or_default().causes.insert(cause);
        }
        self.bits[j * w..(j + 1) * w].copy_from_slice(&reach);
    }
}
