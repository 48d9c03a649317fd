//! Locations of shared state and the access sets over them (DESIGN.md, "Locations and access sets").

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

/// One piece of shared state a transaction can read, write or increment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// A storage slot of a contract.
    Storage {
        /// The account whose storage holds the slot.
        address: Address,
        /// The slot key.
        slot: U256,
    },
    /// An account's balance.
    Balance {
        /// The account.
        address: Address,
    },
    /// An account's nonce.
    Nonce {
        /// The account.
        address: Address,
    },
    /// An account's code and its existence.
    Code {
        /// The account.
        address: Address,
    },
}

impl Location {
    /// A storage slot.
    pub const fn storage(address: Address, slot: U256) -> Self {
        Self::Storage { address, slot }
    }

    /// A balance.
    pub const fn balance(address: Address) -> Self {
        Self::Balance { address }
    }

    /// A nonce.
    pub const fn nonce(address: Address) -> Self {
        Self::Nonce { address }
    }

    /// Code and existence.
    pub const fn code(address: Address) -> Self {
        Self::Code { address }
    }

    /// The account this location belongs to.
    pub const fn address(&self) -> Address {
        match *self {
            Self::Storage { address, .. }
            | Self::Balance { address }
            | Self::Nonce { address }
            | Self::Code { address } => address,
        }
    }
}

impl Hash for Location {
    /// Whole words: hashing the address and the slot as byte slices cost several times more,
    /// and the analyzer merges every access of every path through a map. Equal locations write
    /// equal words; the slot, which code can choose, is written whole.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (tag, address, slot) = match *self {
            Self::Storage { address, slot } => (0, address, Some(slot)),
            Self::Balance { address } => (1, address, None),
            Self::Nonce { address } => (2, address, None),
            Self::Code { address } => (3, address, None),
        };
        let bytes = address.0.0;
        let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
        let last = u32::from_le_bytes(bytes[16..20].try_into().unwrap_or_default());
        state.write_u64(word(0));
        state.write_u64(word(8));
        state.write_u64(u64::from(last) << 2 | tag);
        if let Some(slot) = slot {
            for limb in slot.as_limbs() {
                state.write_u64(*limb);
            }
        }
    }
}

/// How a transaction touches a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Its value may change the transaction's outcome.
    Read,
    /// The transaction changes it.
    Write,
    /// A balance credit the transaction never reads back; commutes with other increments.
    Increment,
}

/// What one transaction reads, writes and increments.
///
/// A location is in at most one of the three sets: a write subsumes a read and an increment, and
/// an increment that is also read is a write (the transaction depends on the value it changes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSet {
    /// Locations read and not changed.
    pub reads: BTreeSet<Location>,
    /// Locations changed (and possibly read).
    pub writes: BTreeSet<Location>,
    /// Balances only credited, never read.
    pub increments: BTreeSet<Location>,
}

impl AccessSet {
    /// Records one access, keeping the three sets disjoint.
    pub fn insert(&mut self, location: Location, access: Access) {
        match access {
            Access::Write => {
                self.reads.remove(&location);
                self.increments.remove(&location);
                self.writes.insert(location);
            }
            Access::Read => {
                if self.writes.contains(&location) {
                } else if self.increments.remove(&location) {
                    self.writes.insert(location);
                } else {
                    self.reads.insert(location);
                }
            }
            Access::Increment => {
                if self.writes.contains(&location) {
                } else if self.reads.remove(&location) {
                    self.writes.insert(location);
                } else {
                    self.increments.insert(location);
                }
            }
        }
    }

    /// Adds every access of `other`.
    pub fn extend(&mut self, other: &Self) {
        for (location, access) in other.iter() {
            self.insert(location, access);
        }
    }

    /// How this set touches `location`, if at all.
    pub fn get(&self, location: &Location) -> Option<Access> {
        if self.writes.contains(location) {
            Some(Access::Write)
        } else if self.reads.contains(location) {
            Some(Access::Read)
        } else if self.increments.contains(location) {
            Some(Access::Increment)
        } else {
            None
        }
    }

    /// Every location with its access, writes first.
    pub fn iter(&self) -> impl Iterator<Item = (Location, Access)> + '_ {
        self.writes
            .iter()
            .map(|l| (*l, Access::Write))
            .chain(self.reads.iter().map(|l| (*l, Access::Read)))
            .chain(self.increments.iter().map(|l| (*l, Access::Increment)))
    }

    /// Number of distinct locations.
    pub fn len(&self) -> usize {
        self.reads.len() + self.writes.len() + self.increments.len()
    }

    /// Whether no location is touched.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether an access of kind `a` by one transaction conflicts with an access of kind `b` by
/// another on the same location: anything against a write, or an increment against a read.
pub const fn conflicts(a: Access, b: Access) -> bool {
    !matches!(
        (a, b),
        (Access::Read, Access::Read) | (Access::Increment, Access::Increment)
    )
}

/// Whether a predicted access of kind `predicted` covers an actual access of kind `actual`:
/// a predicted write covers anything; otherwise the kinds must match.
pub const fn covers(predicted: Access, actual: Access) -> bool {
    matches!(
        (predicted, actual),
        (Access::Write, _) | (Access::Read, Access::Read) | (Access::Increment, Access::Increment)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_then_read_is_a_write() {
        let mut set = AccessSet::default();
        let l = Location::balance(Address::repeat_byte(1));
        set.insert(l, Access::Increment);
        assert_eq!(set.get(&l), Some(Access::Increment));
        set.insert(l, Access::Read);
        assert_eq!(set.get(&l), Some(Access::Write));
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn conflict_table() {
        use Access::{Increment, Read, Write};
        assert!(!conflicts(Read, Read));
        assert!(!conflicts(Increment, Increment));
        assert!(conflicts(Read, Increment));
        assert!(conflicts(Increment, Write));
        assert!(conflicts(Write, Read));
        assert!(covers(Write, Increment));
        assert!(!covers(Read, Write));
        assert!(!covers(Increment, Read));
    }
}
