//! Where a hashed storage slot comes from: `keccak256(key . base)` (a mapping entry) or
//! `keccak256(base) + i` (a dynamic array or long string element).
//!
//! A hash cannot be inverted, so both the analyzer and the execution recorder note every
//! keccak256 they see; a slot's *root* is the plain slot its derivation chain starts from.
//! Two slots with different roots never collide (barring a keccak collision).

use alloy_primitives::{U256, keccak256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest element offset `keccak256(base) + i` still attributed to `base`.
const MAX_ARRAY_OFFSET: u64 = 1 << 32;
/// Longest derivation chain followed (nested mappings of mappings...).
const MAX_DEPTH: usize = 16;

/// A table of observed slot derivations: hash -> the base it was derived from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotOrigins {
    parents: BTreeMap<U256, U256>,
}

impl SlotOrigins {
    /// Notes a keccak256 over `preimage`; only 32- and 64-byte preimages derive slots.
    pub fn observe(&mut self, preimage: &[u8]) -> U256 {
        let hash = U256::from_be_bytes(keccak256(preimage).0);
        if let Some(base) = Self::base_of(preimage) {
            self.parents.insert(hash, base);
        }
        hash
    }

    /// Notes that `hash` is keccak256 of `preimage` (computed elsewhere); only 32- and 64-byte
    /// preimages derive slots.
    pub fn note(&mut self, preimage: &[u8], hash: U256) {
        if let Some(base) = Self::base_of(preimage) {
            self.parents.insert(hash, base);
        }
    }

    /// Notes that `hash` was derived from `base`.
    pub fn insert(&mut self, hash: U256, base: U256) {
        self.parents.insert(hash, base);
    }

    fn base_of(preimage: &[u8]) -> Option<U256> {
        match preimage.len() {
            32 => Some(U256::from_be_slice(preimage)),
            64 => Some(U256::from_be_slice(&preimage[32..])),
            _ => None,
        }
    }

    /// The base `slot` was derived from one step up, if it is a known hash or a small offset
    /// from one.
    pub fn parent(&self, slot: U256) -> Option<U256> {
        let (hash, base) = self.parents.range(..=slot).next_back()?;
        (slot - *hash < U256::from(MAX_ARRAY_OFFSET)).then_some(*base)
    }

    /// The plain slot at the start of `slot`'s derivation chain (`slot` itself if not derived).
    pub fn root(&self, slot: U256) -> U256 {
        let mut current = slot;
        for _ in 0..MAX_DEPTH {
            match self.parent(current) {
                Some(base) => current = base,
                None => return current,
            }
        }
        current
    }

    /// Whether `slot` is derived (directly or through nesting) from `root`.
    pub fn derives_from(&self, slot: U256, root: U256) -> bool {
        let mut current = slot;
        for _ in 0..MAX_DEPTH {
            match self.parent(current) {
                Some(base) if base == root => return true,
                Some(base) => current = base,
                None => return false,
            }
        }
        false
    }

    /// Adds every derivation of `other`.
    pub fn extend(&mut self, other: &Self) {
        self.parents
            .extend(other.parents.iter().map(|(k, v)| (*k, *v)));
    }

    /// Number of derivations known.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(x: U256) -> [u8; 32] {
        x.to_be_bytes()
    }

    #[test]
    fn nested_mapping_and_array_roots() {
        let mut o = SlotOrigins::default();
        let base = U256::from(3);
        let mut pre = [0u8; 64];
        pre[..32].copy_from_slice(&word(U256::from(0xabcdu64)));
        pre[32..].copy_from_slice(&word(base));
        let inner = o.observe(&pre);
        pre[..32].copy_from_slice(&word(U256::from(7)));
        pre[32..].copy_from_slice(&word(inner));
        let nested = o.observe(&pre);
        assert_eq!(o.root(nested), base);
        assert!(o.derives_from(nested, base));
        assert!(!o.derives_from(nested, U256::from(4)));

        let array = o.observe(&word(U256::from(9)));
        assert_eq!(o.root(array + U256::from(5)), U256::from(9));
        // A plain small slot is its own root, never derived from a mapping.
        assert_eq!(o.root(U256::from(3)), U256::from(3));
        assert!(!o.derives_from(U256::from(3), base));
    }
}
