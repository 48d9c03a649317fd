use super::reference::{all_pairs, closure, direct_conflict, union_origins};
use super::*;
use crate::testgen::{pair, prediction, raw_tx, universe};
use alloy_primitives::{Address, U256};
use proptest::prelude::*;

fn check_against_reference<A: Accesses>(txs: &[A]) -> Result<(), TestCaseError> {
    check_relation(txs, Relation::Conflicts)?;
    check_relation(txs, Relation::ReadsFrom)
}

fn check_relation<A: Accesses>(txs: &[A], relation: Relation) -> Result<(), TestCaseError> {
    let graph = ConflictGraph::build_with(txs, relation);
    let origins = union_origins(txs);
    let fast: Vec<(usize, usize)> = graph.edges().iter().map(|(i, j, _)| (*i, *j)).collect();
    for (i, j, dep) in graph.edges() {
        prop_assert!(i < j, "edge {i}->{j} goes backwards");
        prop_assert!(
            direct_conflict(&txs[i], &txs[j], &origins, relation),
            "edge {i}->{j} is not a conflict"
        );
        prop_assert!(!dep.causes.is_empty());
        for c in &dep.causes {
            prop_assert!(relation.links(c.earlier_access, c.later_access));
        }
    }
    let n = txs.len();
    let reach = closure(n, all_pairs(txs, relation));
    prop_assert_eq!(closure(n, fast.iter().copied()), reach.clone());
    // No edge is implied by a path through another transaction: the transitive reduction.
    let reduction: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .filter(|&(i, j)| {
            reach[i] & (1 << j) != 0
                && !(i + 1..j).any(|k| reach[i] & (1 << k) != 0 && reach[k] & (1 << j) != 0)
        })
        .collect();
    prop_assert_eq!(fast, reduction);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn indexed_graph_matches_all_pairs(raw in prop::collection::vec(raw_tx(), 0..14)) {
        let u = universe();
        let txs: Vec<AccessPrediction> = raw.iter().map(|r| prediction(&u, r)).collect();
        check_against_reference(&txs)?;
    }

    #[test]
    fn oracle_graph_matches_all_pairs(raw in prop::collection::vec(raw_tx(), 0..14)) {
        let u = universe();
        let txs: Vec<AccessSet> = raw.iter().map(|r| prediction(&u, r).exact).collect();
        check_against_reference(&txs)?;
    }
}

fn sender(n: u8) -> Address {
    Address::repeat_byte(0x10 + n)
}

/// A plain transfer-like transaction: sender nonce and balance written, fee incremented.
fn transfer(from: u8, coinbase: Address) -> AccessSet {
    let mut s = AccessSet::default();
    s.insert(Location::nonce(sender(from)), Access::Write);
    s.insert(Location::balance(sender(from)), Access::Write);
    s.insert(Location::balance(coinbase), Access::Increment);
    s
}

#[test]
fn fee_increments_do_not_conflict_but_a_reader_of_the_beneficiary_does() {
    let coinbase = Address::repeat_byte(0xcb);
    let mut txs: Vec<AccessSet> = (0..3).map(|i| transfer(i, coinbase)).collect();
    let mut reader = transfer(3, coinbase);
    reader.insert(Location::balance(coinbase), Access::Read);
    txs.push(reader);
    let g = ConflictGraph::build(&txs);
    assert_eq!(g.predecessors(1), Vec::<usize>::new());
    assert_eq!(g.predecessors(2), Vec::<usize>::new());
    assert_eq!(g.predecessors(3), vec![0, 1, 2]);
    let cause = g.dependency(0, 3).unwrap().causes.first().copied().unwrap();
    assert_eq!(cause.class(), ConflictClass::Increment);
    assert_eq!(
        cause.location(),
        Target::Location(Location::balance(coinbase))
    );
}

#[test]
fn family_matches_exact_slots_through_other_transactions_origins() {
    let token = Address::repeat_byte(7);
    let mut writer = AccessPrediction::default();
    let slot = writer.origins.observe(&pair(0x42, U256::from(1)));
    writer
        .exact
        .insert(Location::storage(token, slot), Access::Write);
    let family = Scope::Family {
        address: token,
        root: U256::from(1),
    };
    let reader = AccessPrediction {
        widened: vec![Widening {
            scope: family,
            access: Access::Read,
            reason: "key unknown".into(),
        }],
        ..AccessPrediction::default()
    };
    let mut plain = AccessPrediction::default();
    plain
        .exact
        .insert(Location::storage(token, U256::from(1)), Access::Write);
    let g = ConflictGraph::build(&[writer, reader, plain]);
    let edges: Vec<(usize, usize)> = g.edges().iter().map(|(i, j, _)| (*i, *j)).collect();
    assert_eq!(edges, vec![(0, 1)]);
    let cause = *g.dependency(0, 1).unwrap().causes.first().unwrap();
    assert_eq!(cause.class(), ConflictClass::Widened);
    assert_eq!(
        cause.earlier,
        Target::Location(Location::storage(token, slot))
    );
    assert_eq!(cause.later, Target::Scope(family));
}

#[test]
fn unknown_writes_form_a_chain_not_a_clique() {
    let txs: Vec<AccessPrediction> = (0..50).map(|_| AccessPrediction::unknown("x")).collect();
    let g = ConflictGraph::build(&txs);
    assert_eq!(g.graph.edge_count(), 49);
    assert_eq!(g.predecessors(49), vec![48]);
}

#[test]
fn readers_share_and_the_next_writer_waits_for_all() {
    let pool = Location::storage(Address::repeat_byte(9), U256::from(8));
    let mut txs = Vec::new();
    for access in [Access::Write, Access::Read, Access::Read, Access::Write] {
        let mut s = AccessSet::default();
        s.insert(pool, access);
        txs.push(s);
    }
    let g = ConflictGraph::build(&txs);
    let edges: Vec<(usize, usize)> = g.edges().iter().map(|(i, j, _)| (*i, *j)).collect();
    assert_eq!(edges, vec![(0, 1), (0, 2), (1, 3), (2, 3)]);
    let classes: Vec<ConflictClass> = g
        .edges()
        .iter()
        .map(|(_, _, d)| d.causes.first().unwrap().class())
        .collect();
    assert_eq!(
        classes,
        vec![
            ConflictClass::WriteRead,
            ConflictClass::WriteRead,
            ConflictClass::ReadWrite,
            ConflictClass::ReadWrite
        ]
    );
}

#[test]
fn the_runtime_waits_only_to_read_what_an_earlier_transaction_changed() {
    let pool = Location::storage(Address::repeat_byte(9), U256::from(8));
    let with = |mut s: AccessSet, location, access| {
        s.insert(location, access);
        s
    };
    let txs = vec![
        // The beneficiary's own transaction writes its balance (and pays itself).
        transfer(0, sender(0)),
        // Two pay it fees, one reading the pool, one then writing the pool.
        with(transfer(1, sender(0)), pool, Access::Read),
        with(transfer(2, sender(0)), pool, Access::Write),
        // One reads the beneficiary's balance: it must see every fee before it.
        with(
            transfer(3, sender(0)),
            Location::balance(sender(0)),
            Access::Read,
        ),
    ];
    let conflicts = ConflictGraph::build(&txs);
    assert_eq!(conflicts.predecessors(1), vec![0]);
    assert_eq!(conflicts.predecessors(2), vec![1]);
    assert_eq!(conflicts.predecessors(3), vec![2]);
    let reads_from = ConflictGraph::build_with(&txs, Relation::ReadsFrom);
    // Fees after a write, and a write after a read, only order the commits.
    assert_eq!(reads_from.predecessors(1), Vec::<usize>::new());
    assert_eq!(reads_from.predecessors(2), Vec::<usize>::new());
    // A read after a write and fees links the writer and every fee (none implies another).
    assert_eq!(reads_from.predecessors(3), vec![0, 1, 2]);
    let cause = *reads_from.dependency(0, 3).unwrap().causes.first().unwrap();
    assert_eq!(
        cause.location(),
        Target::Location(Location::balance(sender(0)))
    );
}

#[test]
fn a_senders_transactions_do_not_wait_for_each_other_in_the_runtimes_graph() {
    // Three transfers from one sender, then a transaction reading its balance.
    let coinbase = Address::repeat_byte(0xcb);
    let mut txs: Vec<AccessSet> = (0..3).map(|_| transfer(0, coinbase)).collect();
    let mut reader = transfer(1, coinbase);
    reader.insert(Location::balance(sender(0)), Access::Read);
    txs.push(reader);
    let mut senders = [sender(0), sender(0), sender(0), sender(1)].map(Some);
    let reads_from = ConflictGraph::build_with(&txs, Relation::ReadsFrom);
    assert_eq!(reads_from.predecessors(2), vec![1], "a nonce chain");
    let runtime = ConflictGraph::for_runtime(&txs, &senders);
    assert_eq!(runtime.predecessors(1), Vec::<usize>::new());
    assert_eq!(runtime.predecessors(2), Vec::<usize>::new());
    assert_eq!(
        runtime.predecessors(3),
        vec![0, 1, 2],
        "the reader sees every debit"
    );
    // A sender that cannot pay before the block: its debit waits for every change before.
    senders[2] = None;
    let runtime = ConflictGraph::for_runtime(&txs, &senders);
    assert_eq!(runtime.predecessors(2), vec![0, 1]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// The runtime's graph is the reads-from graph of the same transactions with each one's
    /// writes of its sender's nonce and balance turned into increments.
    #[test]
    fn the_runtimes_graph_takes_a_senders_writes_as_debits(
        raw in prop::collection::vec(raw_tx(), 0..14),
        picks in prop::collection::vec(0u8..5, 14),
    ) {
        let u = universe();
        let txs: Vec<AccessSet> = raw.iter().map(|r| prediction(&u, r).exact).collect();
        // Pick 4: a sender not given, whose debit stays a write.
        let senders: Vec<Option<Address>> = picks
            .iter()
            .map(|&p| (p < 4).then(|| Address::repeat_byte(p)))
            .collect();
        let debited: Vec<AccessSet> = txs
            .iter()
            .zip(&senders)
            .map(|(t, &s)| {
                let mut d = AccessSet::default();
                for (l, a) in t.iter() {
                    let own = s.is_some_and(|s| l == Location::nonce(s) || l == Location::balance(s));
                    d.insert(l, if own && a == Access::Write { Access::Increment } else { a });
                }
                d
            })
            .collect();
        let edges = |g: &ConflictGraph| -> Vec<(usize, usize)> {
            g.edges().iter().map(|(i, j, _)| (*i, *j)).collect()
        };
        prop_assert_eq!(
            edges(&ConflictGraph::for_runtime(&txs, &senders[..txs.len()])),
            edges(&ConflictGraph::build_with(&debited, Relation::ReadsFrom))
        );
    }
}
