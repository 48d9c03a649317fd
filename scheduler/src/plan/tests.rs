use super::*;
use crate::graph::Relation;
use crate::graph::reference::{all_pairs, closure, direct_conflict, union_origins};
use crate::testgen::{prediction, raw_tx, universe};
use lanes_analyzer::AccessPrediction;
use proptest::prelude::*;

fn block() -> impl Strategy<Value = (Vec<AccessPrediction>, Vec<u64>)> {
    prop::collection::vec((raw_tx(), 0..1000u64), 0..14).prop_map(|raw| {
        let u = universe();
        raw.iter().map(|(r, c)| (prediction(&u, r), *c)).unzip()
    })
}

/// The heaviest path through the all-pairs graph, by brute force over every path.
fn heaviest(n: usize, edges: &[(usize, usize)], cost: &[u64]) -> u64 {
    fn from(i: usize, edges: &[(usize, usize)], cost: &[u64]) -> u64 {
        cost[i]
            + edges
                .iter()
                .filter(|(a, _)| *a == i)
                .map(|(_, b)| from(*b, edges, cost))
                .max()
                .unwrap_or(0)
    }
    (0..n).map(|i| from(i, edges, cost)).max().unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn batches_hold_no_conflict_and_keep_block_order((txs, cost) in block()) {
        let p = plan(&txs, &cost).unwrap();
        let origins = union_origins(&txs);
        for j in 0..txs.len() {
            for i in 0..j {
                if direct_conflict(&txs[i], &txs[j], &origins, Relation::Conflicts) {
                    prop_assert!(p.batches.of[i] < p.batches.of[j], "{i} and {j} conflict");
                }
            }
            // Tight: a transaction in batch b > 0 waits for something in batch b - 1.
            let b = p.batches.of[j];
            if b > 0 {
                prop_assert!((0..j).any(|i| p.batches.of[i] == b - 1
                    && direct_conflict(&txs[i], &txs[j], &origins, Relation::Conflicts)));
            }
            prop_assert!(p.batches.batches[b].contains(&j));
        }
        prop_assert_eq!(p.batches.batches.iter().map(Vec::len).sum::<usize>(), txs.len());
    }

    #[test]
    fn critical_path_is_the_heaviest_chain((txs, cost) in block()) {
        let p = plan(&txs, &cost).unwrap();
        let edges = all_pairs(&txs, Relation::Conflicts);
        prop_assert_eq!(p.critical_path.cost, heaviest(txs.len(), &edges, &cost));
        let reach = closure(txs.len(), edges);
        for w in p.critical_path.txs.windows(2) {
            prop_assert!(reach[w[0]] & (1 << w[1]) != 0, "{} does not lead to {}", w[0], w[1]);
        }
        let sum: u64 = p.critical_path.txs.iter().map(|&i| cost[i]).sum();
        prop_assert_eq!(sum, p.critical_path.cost);
        prop_assert!(p.parallelism >= 1.0 || p.total_cost == 0);
    }

    #[test]
    fn simulated_schedules_are_valid_and_within_bounds((txs, cost) in block(), k in 1..20usize) {
        let p = plan(&txs, &cost).unwrap();
        let s = p.schedule(k);
        let origins = union_origins(&txs);
        for (j, slot) in s.slots.iter().enumerate() {
            prop_assert_eq!(slot.tx, j);
            prop_assert!(slot.worker < k);
            prop_assert_eq!(slot.end - slot.start, cost[j]);
            for i in 0..j {
                if direct_conflict(&txs[i], &txs[j], &origins, Relation::Conflicts) {
                    prop_assert!(s.slots[i].end <= slot.start, "{j} starts before {i} ends");
                }
                let o = &s.slots[i];
                if o.worker == slot.worker && o.start < o.end && slot.start < slot.end {
                    prop_assert!(o.end <= slot.start || slot.end <= o.start, "overlap on a worker");
                }
            }
        }
        let total = p.total_cost;
        let cp = p.critical_path.cost;
        prop_assert!(s.makespan >= cp);
        prop_assert!(s.makespan >= total.div_ceil(k as u64));
        // Graham's bound for list scheduling.
        let wide = k as u128;
        prop_assert!(u128::from(s.makespan) * wide <= u128::from(total - cp) + u128::from(cp) * wide);
        if k == 1 {
            prop_assert_eq!(s.makespan, total);
        }
        if k >= txs.len() {
            prop_assert_eq!(s.makespan, cp);
        }
    }
}

#[test]
fn cost_count_must_match() {
    let txs = vec![AccessPrediction::default(); 2];
    assert_eq!(
        plan(&txs, &[1]).unwrap_err(),
        PlanError::CostCount { txs: 2, costs: 1 }
    );
}

#[test]
fn independent_transfers_run_in_one_batch() {
    use alloy_primitives::Address;
    use lanes_analyzer::{Access, AccessSet, Location};
    let txs: Vec<AccessSet> = (1..=4u8)
        .map(|i| {
            let mut s = AccessSet::default();
            s.insert(Location::nonce(Address::repeat_byte(i)), Access::Write);
            s.insert(Location::balance(Address::repeat_byte(i)), Access::Write);
            s.insert(Location::balance(Address::ZERO), Access::Increment);
            s
        })
        .collect();
    let p = plan(&txs, &[21_000, 21_000, 50_000, 21_000]).unwrap();
    assert_eq!(p.batches.batches, vec![vec![0, 1, 2, 3]]);
    assert_eq!(p.critical_path.txs, vec![2]);
    assert_eq!(p.critical_path.cost, 50_000);
    assert!((p.parallelism - 113_000.0 / 50_000.0).abs() < 1e-9);
    assert_eq!(p.simulated[&2], 63_000);
    assert_eq!(p.simulated[&4], 50_000);
}

#[test]
fn short_cost_lists_count_missing_costs_as_zero() {
    let txs = vec![AccessPrediction::unknown("x"); 3];
    let graph = crate::graph::ConflictGraph::build(&txs);
    assert_eq!(crate::metrics::CriticalPath::new(&graph, &[5]).cost, 5);
    assert_eq!(
        crate::simulate::Schedule::new(&graph, &[5, 7], 2).makespan,
        12
    );
}
