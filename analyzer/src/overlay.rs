//! The state a later transaction of the block sees, as far as the predictions of the earlier
//! ones tell: values they wrote (when known), and "unknown" where they may have changed
//! something.

use crate::location::{Access, Location};
use crate::origins::SlotOrigins;
use crate::prediction::{AccessPrediction, Scope};
use crate::state::{ContractCode, StateView};
use crate::vm::Post;
use alloy_primitives::map::{AddressMap, AddressSet, HashMap};
use alloy_primitives::{Address, U256};
use std::sync::Arc;

/// A state view over `base` with the changes of earlier transactions.
#[derive(Debug)]
pub(crate) struct Overlay<'a, S: StateView> {
    base: &'a S,
    /// Values earlier transactions left: `None` unknown, else the possible values.
    storage: HashMap<(Address, U256), Option<Vec<U256>>>,
    /// Contracts written at unknown slots.
    clobbered: AddressSet,
    /// Mapping families written with unknown keys, and the derivations that define them.
    families: Vec<(Address, U256)>,
    origins: SlotOrigins,
    balances: AddressSet,
    nonces: AddressMap<Option<u64>>,
    codes: AddressMap<Option<Arc<ContractCode>>>,
}

impl<'a, S: StateView> Overlay<'a, S> {
    /// No changes yet.
    pub(crate) fn new(base: &'a S) -> Self {
        Self {
            base,
            storage: HashMap::default(),
            clobbered: AddressSet::default(),
            families: Vec::new(),
            origins: SlotOrigins::default(),
            balances: AddressSet::default(),
            nonces: AddressMap::default(),
            codes: AddressMap::default(),
        }
    }

    /// Whether `location` may differ from the pre-block state.
    fn changed(&self, location: &Location) -> bool {
        match location {
            Location::Storage { address, slot } => {
                self.storage.contains_key(&(*address, *slot)) || self.slot_clobbered(address, slot)
            }
            Location::Balance { address } => self.balances.contains(address),
            Location::Nonce { address } => self.nonces.contains_key(address),
            Location::Code { address } => self.codes.contains_key(address),
        }
    }

    fn slot_clobbered(&self, address: &Address, slot: &U256) -> bool {
        self.clobbered.contains(address)
            || self
                .families
                .iter()
                .any(|(a, root)| a == address && self.origins.derives_from(*slot, *root))
    }

    /// Whether a prediction relied on a value that earlier transactions changed (to another or
    /// an unknown value).
    pub(crate) fn stale(&self, post: &Post) -> bool {
        if self.storage.is_empty()
            && self.clobbered.is_empty()
            && self.families.is_empty()
            && self.balances.is_empty()
            && self.codes.is_empty()
            && self.nonces.is_empty()
        {
            return false;
        }
        post.seen
            .iter()
            .any(|(location, seen)| self.changed(location) && self.value(location) != Some(*seen))
    }

    /// A location's value as this view knows it (code: its length).
    fn value(&self, location: &Location) -> Option<U256> {
        match location {
            Location::Storage { address, slot } => self.storage(address, slot),
            Location::Balance { address } => self.balance(address),
            Location::Nonce { address } => self.nonce(address).map(U256::from),
            Location::Code { address } => {
                Some(U256::from(self.code(address).map_or(0, |c| c.len())))
            }
        }
    }

    /// Adds the changes of one more transaction.
    pub(crate) fn apply(&mut self, prediction: &AccessPrediction, post: &Post) {
        for (location, access) in prediction.exact.iter() {
            if access == Access::Read {
                continue;
            }
            match location {
                Location::Storage { address, slot } => {
                    let value = match post.storage.get(&(address, slot)) {
                        Some((Some(values), unchanged)) => {
                            let mut values = values.clone();
                            if *unchanged {
                                match self.alternatives(&address, &slot) {
                                    Some(before) => {
                                        for v in before {
                                            if !values.contains(&v) {
                                                values.push(v);
                                            }
                                        }
                                    }
                                    None => values.clear(),
                                }
                            }
                            (!values.is_empty()).then_some(values)
                        }
                        _ => None,
                    };
                    self.storage.insert((address, slot), value);
                }
                Location::Balance { address } => {
                    self.balances.insert(address);
                }
                Location::Nonce { address } => {
                    let nonce = post.nonces.get(&address).copied().flatten();
                    self.nonces.insert(address, nonce);
                }
                Location::Code { address } => {
                    let code = post.codes.get(&address).cloned().flatten();
                    self.codes.insert(address, code);
                }
            }
        }
        for w in &prediction.widened {
            if w.access == Access::Read {
                continue;
            }
            match w.scope {
                Scope::Contract { address } => {
                    self.clobbered.insert(address);
                }
                Scope::Family { address, root } => {
                    self.families.push((address, root));
                    self.origins.extend(&prediction.origins);
                }
                Scope::Unknown => {}
            }
        }
    }

    /// Notes the sender's nonce after its transaction.
    pub(crate) fn bump_nonce(&mut self, sender: Address, nonce: u64) {
        self.nonces.insert(sender, Some(nonce + 1));
    }
}

impl<S: StateView> Overlay<'_, S> {
    /// Every value a slot may hold at this point of the block (`None`: unknown).
    fn alternatives(&self, address: &Address, slot: &U256) -> Option<Vec<U256>> {
        if let Some(value) = self.storage.get(&(*address, *slot)) {
            return value.clone();
        }
        if self.slot_clobbered(address, slot) {
            return None;
        }
        self.base.storage(address, slot).map(|v| vec![v])
    }
}

impl<S: StateView> StateView for Overlay<'_, S> {
    fn storage_alternatives(&self, address: &Address, slot: &U256) -> Option<Vec<U256>> {
        self.alternatives(address, slot).filter(|v| v.len() > 1)
    }

    fn exists(&self, address: &Address) -> Option<bool> {
        if self.codes.contains_key(address) || self.balances.contains(address) {
            return None;
        }
        self.base.exists(address)
    }

    fn code(&self, address: &Address) -> Option<Arc<ContractCode>> {
        match self.codes.get(address) {
            Some(code) => code.clone(),
            None => self.base.code(address),
        }
    }

    fn balance(&self, address: &Address) -> Option<U256> {
        if self.balances.contains(address) {
            return None;
        }
        self.base.balance(address)
    }

    fn nonce(&self, address: &Address) -> Option<u64> {
        match self.nonces.get(address) {
            Some(nonce) => *nonce,
            None => self.base.nonce(address),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Option<U256> {
        if let Some(value) = self.storage.get(&(*address, *slot)) {
            return match value.as_deref() {
                Some([v]) => Some(*v),
                _ => None,
            };
        }
        if self.slot_clobbered(address, slot) {
            return None;
        }
        self.base.storage(address, slot)
    }
}
