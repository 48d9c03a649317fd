//! Random predictions over a small universe of overlapping locations, for property tests.

use alloy_primitives::{Address, U256};
use lanes_analyzer::{Access, AccessPrediction, Location, Scope, SlotOrigins, Widening};
use proptest::prelude::*;

/// A small universe of locations with nested mappings and arrays, so that exact slots,
/// families and contracts overlap often.
pub(crate) struct Universe {
    addresses: Vec<Address>,
    /// Preimages whose hashes derive slots; a transaction observes a random subset.
    preimages: Vec<Vec<u8>>,
    slots: Vec<U256>,
    roots: Vec<U256>,
}

fn word(x: U256) -> [u8; 32] {
    x.to_be_bytes()
}

pub(crate) fn pair(key: u64, base: U256) -> Vec<u8> {
    let mut p = word(U256::from(key)).to_vec();
    p.extend_from_slice(&word(base));
    p
}

pub(crate) fn universe() -> Universe {
    let mut o = SlotOrigins::default();
    let mut preimages = Vec::new();
    let mut slots: Vec<U256> = (0..3u64).map(U256::from).collect();
    for base in 0..2u64 {
        for key in 1..3u64 {
            let p = pair(key, U256::from(base));
            let h = o.observe(&p);
            preimages.push(p);
            slots.push(h);
        }
    }
    // A nested mapping entry under the first mapping entry of slot 0.
    let inner = slots[3];
    let p = pair(5, inner);
    slots.push(o.observe(&p));
    preimages.push(p);
    // Elements 0 and 1 of the dynamic array at slot 2.
    let p = word(U256::from(2)).to_vec();
    let h = o.observe(&p);
    preimages.push(p);
    slots.push(h);
    slots.push(h + U256::from(1));
    Universe {
        addresses: (1..=3u8).map(Address::repeat_byte).collect(),
        preimages,
        slots,
        roots: vec![U256::ZERO, U256::from(1), U256::from(2), inner],
    }
}

fn access(k: u8) -> Access {
    match k % 3 {
        0 => Access::Read,
        1 => Access::Write,
        _ => Access::Increment,
    }
}

/// Raw random choices, turned into predictions against the universe.
pub(crate) type RawTx = (
    Vec<(usize, usize, u8, u8)>,
    Vec<(u8, usize, usize, u8)>,
    u16,
);

pub(crate) fn raw_tx() -> impl Strategy<Value = RawTx> {
    (
        prop::collection::vec((0..3usize, 0..16usize, 0..4u8, 0..3u8), 0..6),
        prop::collection::vec((0..10u8, 0..3usize, 0..4usize, 0..3u8), 0..3),
        any::<u16>(),
    )
}

pub(crate) fn prediction(u: &Universe, (exact, widened, seen): &RawTx) -> AccessPrediction {
    let mut p = AccessPrediction::default();
    for &(a, s, kind, acc) in exact {
        let address = u.addresses[a];
        let location = match kind {
            0 => Location::balance(address),
            1 => Location::nonce(address),
            2 => Location::code(address),
            _ => Location::storage(address, u.slots[s % u.slots.len()]),
        };
        p.exact.insert(location, access(acc));
    }
    for &(kind, a, r, acc) in widened {
        let address = u.addresses[a];
        let scope = match kind {
            0..=4 => Scope::Family {
                address,
                root: u.roots[r],
            },
            5..=7 => Scope::Contract { address },
            _ => Scope::Unknown,
        };
        p.widened.push(Widening {
            scope,
            access: access(acc),
            reason: "test".into(),
        });
    }
    for (i, pre) in u.preimages.iter().enumerate() {
        if seen & (1 << i) != 0 {
            p.origins.observe(pre);
        }
    }
    p
}
