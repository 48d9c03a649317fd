//! A transaction's predicted access set: exact locations plus widened families, each with the
//! reason the analyzer could not be exact.

use crate::location::{Access, AccessSet, Location, covers};
use crate::origins::SlotOrigins;
use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

/// A set of locations the analyzer could not enumerate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Every slot of `address` derived from the plain slot `root` (mapping entries with any key,
    /// nested mappings, dynamic array elements, long string data).
    Family {
        /// The contract whose storage holds the family.
        address: Address,
        /// The plain slot the derivation starts from.
        root: U256,
    },
    /// Every storage slot of one contract.
    Contract {
        /// The contract.
        address: Address,
    },
    /// Anything at all: conflicts with everything.
    Unknown,
}

impl Scope {
    /// Whether the scope holds `location`; `origins` says where hashed slots come from.
    pub fn contains(&self, location: &Location, origins: &SlotOrigins) -> bool {
        match (*self, *location) {
            (Self::Unknown, _) => true,
            (Self::Contract { address }, Location::Storage { address: a, .. }) => address == a,
            (Self::Family { address, root }, Location::Storage { address: a, slot }) => {
                address == a && origins.derives_from(slot, root)
            }
            _ => false,
        }
    }

    /// Whether the two scopes can share a location.
    pub fn overlaps(&self, other: &Self) -> bool {
        match (*self, *other) {
            (Self::Unknown, _) | (_, Self::Unknown) => true,
            (Self::Contract { address: a }, s) | (s, Self::Contract { address: a }) => {
                s.address() == Some(a)
            }
            (
                Self::Family {
                    address: a,
                    root: r,
                },
                Self::Family {
                    address: b,
                    root: q,
                },
            ) => a == b && r == q,
        }
    }

    /// Whether the two scopes can share a location, knowing where hashed slots come from.
    /// Unlike [`Self::overlaps`], a family rooted at a slot derived from another family's root
    /// (a nested mapping's inner family) is inside that family.
    pub fn intersects(&self, other: &Self, origins: &SlotOrigins) -> bool {
        match (*self, *other) {
            (
                Self::Family {
                    address: a,
                    root: r,
                },
                Self::Family {
                    address: b,
                    root: q,
                },
            ) => a == b && (r == q || origins.derives_from(r, q) || origins.derives_from(q, r)),
            _ => self.overlaps(other),
        }
    }

    /// The contract the scope is confined to, if any.
    pub const fn address(&self) -> Option<Address> {
        match *self {
            Self::Family { address, .. } | Self::Contract { address } => Some(address),
            Self::Unknown => None,
        }
    }

    /// Whether this scope counts as *widened* in the metrics (a whole contract or unknown).
    pub const fn is_coarse(&self) -> bool {
        !matches!(self, Self::Family { .. })
    }
}

/// One widened part of a prediction.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Widening {
    /// Which locations.
    pub scope: Scope,
    /// How they may be accessed (`Write` also covers reads).
    pub access: Access,
    /// Why the analyzer could not be exact, e.g. "unresolved jump at pc 0x1a2".
    pub reason: String,
}

/// The analyzer's prediction for one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPrediction {
    /// Locations known exactly.
    pub exact: AccessSet,
    /// Families the analyzer could only bound.
    pub widened: Vec<Widening>,
    /// Slot derivations the analyzer computed, so that exact hashed slots can be matched
    /// against families.
    pub origins: SlotOrigins,
    /// Pre-block state values the prediction relied on (e.g. a proxy's implementation slot);
    /// if an earlier transaction of the block changes one, the prediction may be stale.
    pub assumptions: Vec<Location>,
    /// How much the transaction computes, in steps: the opcodes of the longest path the
    /// analysis followed, a precompile counting as the gas it charges (ECRECOVER's 3,000 take
    /// about as long as 3,000 simple opcodes). A far better measure of execution time than the
    /// gas limit.
    #[serde(default)]
    pub work: u64,
}

impl AccessPrediction {
    /// A prediction that says "anything": the safe answer when nothing can be analysed.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Self {
            widened: vec![Widening {
                scope: Scope::Unknown,
                access: Access::Write,
                reason: reason.into(),
            }],
            ..Self::default()
        }
    }

    /// Whether any widening is a whole contract or unknown.
    pub fn is_widened(&self) -> bool {
        self.widened.iter().any(|w| w.scope.is_coarse())
    }

    /// Whether the prediction is exact (no widening of any kind).
    pub fn is_exact(&self) -> bool {
        self.widened.is_empty()
    }

    /// Whether the prediction covers one actual access. `origins` must know the actual
    /// execution's slot derivations.
    pub fn covers(&self, location: &Location, access: Access, origins: &SlotOrigins) -> bool {
        if self.exact.get(location).is_some_and(|p| covers(p, access)) {
            return true;
        }
        self.widened
            .iter()
            .any(|w| covers(w.access, access) && w.scope.contains(location, origins))
    }

    /// The actual accesses this prediction misses.
    pub fn missed(&self, actual: &AccessSet, origins: &SlotOrigins) -> Vec<(Location, Access)> {
        actual
            .iter()
            .filter(|(l, a)| !self.covers(l, *a, origins))
            .collect()
    }

    /// Whether every actual access is covered.
    pub fn covers_all(&self, actual: &AccessSet, origins: &SlotOrigins) -> bool {
        actual.iter().all(|(l, a)| self.covers(&l, a, origins))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_covers_only_its_derived_slots() {
        let token = Address::repeat_byte(7);
        let mut origins = SlotOrigins::default();
        let mut pre = [0u8; 64];
        pre[31] = 0x42;
        pre[63] = 1; // balances at slot 1
        let slot = origins.observe(&pre);
        let prediction = AccessPrediction {
            widened: vec![Widening {
                scope: Scope::Family {
                    address: token,
                    root: U256::from(1),
                },
                access: Access::Write,
                reason: "key unknown".into(),
            }],
            ..AccessPrediction::default()
        };
        assert!(prediction.covers(&Location::storage(token, slot), Access::Write, &origins));
        assert!(!prediction.covers(
            &Location::storage(token, U256::from(1)),
            Access::Read,
            &origins
        ));
        assert!(!prediction.covers(
            &Location::storage(Address::ZERO, slot),
            Access::Read,
            &origins
        ));
        assert!(!prediction.is_widened());
        // The family of an inner mapping lies inside the outer mapping's family.
        let outer = Scope::Family {
            address: token,
            root: U256::from(1),
        };
        let inner = Scope::Family {
            address: token,
            root: slot,
        };
        assert!(inner.intersects(&outer, &origins));
        assert!(outer.intersects(&inner, &origins));
        assert!(!inner.intersects(&outer, &SlotOrigins::default()));
        assert!(!outer.intersects(
            &Scope::Family {
                address: token,
                root: U256::from(2)
            },
            &origins
        ));
        assert!(AccessPrediction::unknown("x").covers(
            &Location::nonce(token),
            Access::Write,
            &origins
        ));
    }
}
