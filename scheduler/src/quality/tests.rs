//! Metrics on small constructed blocks; every expected number is worked out by hand in the
//! comments.

use super::*;
use alloy_primitives::{Address, U256};
use lanes_analyzer::{AccessSet, Scope, SlotOrigins, Widening};

const TOKEN: Address = Address::repeat_byte(0x70);
const OTHER: Address = Address::repeat_byte(0x0e);
const COINBASE: Address = Address::repeat_byte(0xcb);

fn sender(n: u8) -> Address {
    Address::repeat_byte(n)
}

fn set(accesses: &[(Location, Access)]) -> AccessSet {
    let mut set = AccessSet::default();
    for (l, a) in accesses {
        set.insert(*l, *a);
    }
    set
}

fn sender_accesses(s: Address) -> Vec<(Location, Access)> {
    vec![
        (Location::balance(s), Access::Write),
        (Location::nonce(s), Access::Write),
    ]
}

fn actual(accesses: &[(Location, Access)], origins: SlotOrigins) -> ActualAccess {
    ActualAccess {
        set: set(accesses),
        origins,
        beneficiary: Some(COINBASE),
    }
}

fn widening(scope: Scope, reason: &str) -> Widening {
    Widening {
        scope,
        access: Access::Write,
        reason: reason.into(),
    }
}

/// Three transactions:
/// - tx0 (21000 gas): exact prediction of 4 locations, 3 of them touched (one predicted slot is
///   not read): covered, exact, precision 3/4.
/// - tx1 (50000 gas): sender exact plus the family of mapping root 1 of TOKEN; it writes
///   `balances[0x42]`: covered through the family; not exact (so not in the precision), not
///   widened (a family is not coarse).
/// - tx2 (29000 gas): sender exact plus every slot of OTHER; it reads plain slot 2 of TOKEN and
///   the code of OTHER: two misses (plain slot, code read), not covered, widened.
fn three_txs() -> (Vec<AccessPrediction>, Vec<ActualAccess>, Vec<u64>) {
    let fee = (Location::balance(COINBASE), Access::Increment);
    let mut p0 = sender_accesses(sender(1));
    p0.push(fee);
    p0.push((Location::storage(TOKEN, U256::from(1)), Access::Read));
    let mut a0 = sender_accesses(sender(1));
    a0.push(fee);

    let mut origins = SlotOrigins::default();
    let mut preimage = [0u8; 64];
    preimage[31] = 0x42;
    preimage[63] = 1;
    let entry = origins.observe(&preimage);
    let p1 = AccessPrediction {
        exact: set(&sender_accesses(sender(2))),
        widened: vec![widening(
            Scope::Family {
                address: TOKEN,
                root: U256::from(1),
            },
            "unknown slot at pc 0x10 in 0x7070707070707070707070707070707070707070",
        )],
        ..AccessPrediction::default()
    };
    let mut a1 = sender_accesses(sender(2));
    a1.push((Location::storage(TOKEN, entry), Access::Write));

    let p2 = AccessPrediction {
        exact: set(&sender_accesses(sender(3))),
        widened: vec![widening(
            Scope::Contract { address: OTHER },
            "unknown address at pc 0x22 in 0x0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e",
        )],
        ..AccessPrediction::default()
    };
    let mut a2 = sender_accesses(sender(3));
    a2.push((Location::storage(TOKEN, U256::from(2)), Access::Read));
    a2.push((Location::code(OTHER), Access::Read));

    (
        vec![
            AccessPrediction {
                exact: set(&p0),
                ..AccessPrediction::default()
            },
            p1,
            p2,
        ],
        vec![
            actual(&a0, SlotOrigins::default()),
            actual(&a1, origins),
            actual(&a2, SlotOrigins::default()),
        ],
        vec![21_000, 50_000, 29_000],
    )
}

#[test]
fn per_transaction_flags() {
    let (p, a, g) = three_txs();
    let block = BlockQuality::assess(&p, &a, &g);
    let [t0, t1, t2] = &block.txs[..] else {
        panic!("three transactions expected");
    };
    assert!(t0.covered && t0.exact && !t0.widened);
    assert_eq!((t0.predicted, t0.hits, t0.actual), (4, 3, 3));
    assert_eq!(t0.extra, vec![Location::storage(TOKEN, U256::from(1))]);
    assert!(t1.covered && !t1.exact && !t1.widened);
    assert!(!t2.covered && !t2.exact && t2.widened);
    assert_eq!(
        t2.missed,
        vec![
            (Location::storage(TOKEN, U256::from(2)), Access::Read),
            (Location::code(OTHER), Access::Read),
        ]
    );
}

#[test]
fn block_summary() {
    let (p, a, g) = three_txs();
    let q = BlockQuality::assess(&p, &a, &g).summary;
    assert_eq!(
        (q.txs, q.gas, q.covered, q.covered_gas),
        (3, 100_000, 2, 71_000)
    );
    assert!((q.coverage_by_count() - 2.0 / 3.0).abs() < 1e-12);
    assert!((q.coverage_by_gas() - 0.71).abs() < 1e-12);
    // Only tx0 has no widening: 3 hits of 4 predicted.
    assert!((q.exact_precision() - 0.75).abs() < 1e-12);
    assert!((q.widened_fraction() - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn summaries_add_up_and_empty_is_vacuous() {
    let (p, a, g) = three_txs();
    let one = BlockQuality::assess(&p, &a, &g).summary;
    let mut two = one;
    two.add(&one);
    assert_eq!((two.txs, two.gas, two.exact_hits), (6, 200_000, 6));
    assert!((two.coverage_by_gas() - 0.71).abs() < 1e-12);
    let empty = Quality::default();
    assert!((empty.coverage_by_count() - 1.0).abs() < f64::EPSILON);
    assert!((empty.exact_precision() - 1.0).abs() < f64::EPSILON);
    assert!(empty.widened_fraction().abs() < f64::EPSILON);
}

#[test]
fn causes_group_by_stable_reason_and_miss_kind() {
    let (p, a, g) = three_txs();
    let causes = BlockQuality::assess(&p, &a, &g).causes;
    let one = |gas| CauseCount {
        count: 1,
        txs: 1,
        gas,
    };
    assert_eq!(causes.widenings["unknown slot [family]"], one(50_000));
    assert_eq!(causes.widenings["unknown address [contract]"], one(29_000));
    assert_eq!(causes.widenings.len(), 2);
    assert_eq!(causes.misses[MissKind::PlainSlot.as_str()], one(29_000));
    assert_eq!(causes.misses[MissKind::CodeRead.as_str()], one(29_000));
    assert_eq!(causes.misses.len(), 2);
}

#[test]
fn misses_after_an_earlier_write_to_an_assumption_are_stale() {
    // tx0 writes TOKEN slot 5; tx1's prediction assumed slot 5's pre-block value and misses
    // slot 9.
    let slot5 = Location::storage(TOKEN, U256::from(5));
    let slot9 = Location::storage(TOKEN, U256::from(9));
    let predictions = vec![
        AccessPrediction {
            exact: set(&[(slot5, Access::Write)]),
            ..AccessPrediction::default()
        },
        AccessPrediction {
            assumptions: vec![slot5],
            ..AccessPrediction::default()
        },
    ];
    let actuals = vec![
        actual(&[(slot5, Access::Write)], SlotOrigins::default()),
        actual(&[(slot9, Access::Read)], SlotOrigins::default()),
    ];
    let block = BlockQuality::assess(&predictions, &actuals, &[100, 200]);
    assert_eq!(block.stale, vec![false, true]);
    assert_eq!(
        block.causes.misses["state changed by an earlier tx in the block: storage: plain slot not predicted"],
        CauseCount {
            count: 1,
            txs: 1,
            gas: 200
        }
    );
}

#[test]
fn misses_in_an_account_an_earlier_tx_created_are_stale() {
    // tx0 deploys OTHER; tx1 then writes OTHER's slot 1, which the analyzer, seeing no code
    // before the block, did not predict.
    let slot1 = Location::storage(OTHER, U256::from(1));
    let actuals = vec![
        actual(
            &[(Location::code(OTHER), Access::Write)],
            SlotOrigins::default(),
        ),
        actual(&[(slot1, Access::Write)], SlotOrigins::default()),
    ];
    let predictions = vec![AccessPrediction::default(), AccessPrediction::default()];
    let block = BlockQuality::assess(&predictions, &actuals, &[100, 200]);
    assert_eq!(block.stale, vec![false, true]);
}

#[test]
fn miss_kinds_for_hashed_slots_and_weak_balance_predictions() {
    let mut origins = SlotOrigins::default();
    let hashed = origins.observe(&[7u8; 32]);
    let payee = Location::balance(OTHER);
    let prediction = AccessPrediction {
        exact: set(&[(payee, Access::Increment)]),
        ..AccessPrediction::default()
    };
    let actual = actual(&[], origins);
    let storage = Location::storage(TOKEN, hashed + U256::from(3));
    assert_eq!(
        MissKind::classify(&storage, Access::Read, &prediction, &actual),
        MissKind::FamilySlot
    );
    assert_eq!(
        MissKind::classify(&payee, Access::Write, &prediction, &actual),
        MissKind::BalanceAccessKind
    );
    assert_eq!(
        MissKind::classify(&Location::nonce(OTHER), Access::Write, &prediction, &actual),
        MissKind::Nonce
    );
}

#[test]
fn a_missed_entry_of_a_predicted_family_has_another_key() {
    // The prediction writes balances[1] (root 1); the transaction read balances[2].
    let mut origins = SlotOrigins::default();
    let entry = |origins: &mut SlotOrigins, key: u8| {
        let mut preimage = [0u8; 64];
        preimage[31] = key;
        preimage[63] = 1;
        origins.observe(&preimage)
    };
    let predicted = Location::storage(TOKEN, entry(&mut origins, 1));
    let missed = Location::storage(TOKEN, entry(&mut origins, 2));
    let prediction = AccessPrediction {
        exact: set(&[(predicted, Access::Write)]),
        ..AccessPrediction::default()
    };
    let actual = actual(&[(missed, Access::Read)], origins);
    assert_eq!(
        MissKind::classify(&missed, Access::Read, &prediction, &actual),
        MissKind::FamilyOtherKey
    );
    let elsewhere = AccessPrediction::default();
    assert_eq!(
        MissKind::classify(&missed, Access::Read, &elsewhere, &actual),
        MissKind::FamilySlot
    );
}

#[test]
fn stable_reasons() {
    assert_eq!(
        stable_reason("unresolved jump at pc 0x1a2 in 0xabc"),
        "unresolved jump"
    );
    assert_eq!(stable_reason("step budget"), "step budget");
    assert_eq!(
        stable_reason("call target loaded from slot 0x3 in 0xabc"),
        "call target loaded from slot 0x3"
    );
}

proptest::proptest! {
    /// Summing per-block summaries gives the summary of all transactions at once.
    #[test]
    fn block_summaries_add_up(
        txs in proptest::collection::vec(
            (0u64..1_000_000, proptest::bool::ANY, proptest::bool::ANY, proptest::bool::ANY,
             0usize..50, 0usize..50),
            0..40,
        ),
        cut in 0usize..40,
    ) {
        let txs: Vec<TxQuality> = txs
            .into_iter()
            .map(|(gas, covered, widened, exact, predicted, hits)| TxQuality {
                gas,
                covered,
                widened,
                exact,
                predicted,
                hits: hits.min(predicted),
                actual: hits,
                missed: Vec::new(),
                extra: Vec::new(),
            })
            .collect();
        let cut = cut.min(txs.len());
        let mut sum = Quality::of(&txs[..cut]);
        sum.add(&Quality::of(&txs[cut..]));
        proptest::prop_assert_eq!(sum, Quality::of(&txs));
        for f in [sum.coverage_by_count(), sum.coverage_by_gas(), sum.exact_precision(),
                  sum.widened_fraction()] {
            proptest::prop_assert!((0.0..=1.0).contains(&f));
        }
    }
}
