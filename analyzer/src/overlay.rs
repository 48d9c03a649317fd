//! The state a transaction of the block sees, as far as the predictions of the transactions
//! before it tell: values they wrote (when known, or one of a few), and "unknown" where they
//! may have changed something.
//!
//! Every change is kept with the index of the transaction that made it, so one history serves
//! a view "before transaction j" for every j (and the views can be used in parallel).

use crate::location::{Access, Location};
use crate::origins::SlotOrigins;
use crate::prediction::{AccessPrediction, Scope};
use crate::state::{ContractCode, StateView};
use crate::vm::Post;
use alloy_primitives::map::{AddressMap, HashMap};
use alloy_primitives::{Address, U256};
use std::sync::{Arc, RwLock, TryLockError};

/// Changes in block order: `(transaction index, value)`, indexes increasing.
type Changes<T> = Vec<(usize, T)>;

/// The latest change made before transaction `before`.
fn latest<T>(changes: Option<&Changes<T>>, before: usize) -> Option<&T> {
    changes?
        .iter()
        .rev()
        .find(|(i, _)| *i < before)
        .map(|(_, v)| v)
}

/// Whether any change was made before transaction `before`.
fn any_before<T>(changes: Option<&Changes<T>>, before: usize) -> bool {
    changes
        .and_then(|c| c.first())
        .is_some_and(|(i, _)| *i < before)
}

/// What the transactions of a block changed, by transaction.
#[derive(Debug)]
pub(crate) struct Overlay<'a, S: StateView> {
    base: &'a S,
    /// Values left: `None` unknown, else the possible values.
    storage: HashMap<(Address, U256), Changes<Option<Vec<U256>>>>,
    /// Contracts written at unknown slots.
    clobbered: AddressMap<Changes<()>>,
    /// Mapping families written with unknown keys, and the derivations that define them.
    families: Vec<(usize, Address, U256)>,
    origins: SlotOrigins,
    balances: AddressMap<Changes<()>>,
    nonces: AddressMap<Changes<Option<u64>>>,
    codes: AddressMap<Changes<Option<Arc<ContractCode>>>>,
}

/// The state before one transaction of the block.
#[derive(Debug)]
pub(crate) struct View<'o, 'a, S: StateView> {
    overlay: &'o Overlay<'a, S>,
    before: usize,
}

impl<'a, S: StateView> Overlay<'a, S> {
    /// No changes yet.
    pub(crate) fn new(base: &'a S) -> Self {
        Self {
            base,
            storage: HashMap::default(),
            clobbered: AddressMap::default(),
            families: Vec::new(),
            origins: SlotOrigins::default(),
            balances: AddressMap::default(),
            nonces: AddressMap::default(),
            codes: AddressMap::default(),
        }
    }

    /// The state before transaction `index`.
    pub(crate) fn view(&self, index: usize) -> View<'_, 'a, S> {
        View {
            overlay: self,
            before: index,
        }
    }

    /// Adds the changes of transaction `index` (after every earlier one).
    pub(crate) fn apply(&mut self, index: usize, prediction: &AccessPrediction, post: &Post) {
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
                                match self.view(index).alternatives(&address, &slot) {
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
                    self.storage
                        .entry((address, slot))
                        .or_default()
                        .push((index, value));
                }
                Location::Balance { address } => {
                    self.balances.entry(address).or_default().push((index, ()));
                }
                Location::Nonce { address } => {
                    let nonce = post.nonces.get(&address).copied().flatten();
                    self.nonces.entry(address).or_default().push((index, nonce));
                }
                Location::Code { address } => {
                    let code = post.codes.get(&address).cloned().flatten();
                    self.codes.entry(address).or_default().push((index, code));
                }
            }
        }
        for w in &prediction.widened {
            if w.access == Access::Read {
                continue;
            }
            match w.scope {
                Scope::Contract { address } => {
                    self.clobbered.entry(address).or_default().push((index, ()));
                }
                Scope::Family { address, root } => {
                    self.families.push((index, address, root));
                    self.origins.extend(&prediction.origins);
                }
                Scope::Unknown => {}
            }
        }
    }

    /// Notes the sender's nonce after its transaction `index`.
    pub(crate) fn bump_nonce(&mut self, index: usize, sender: Address, nonce: u64) {
        self.nonces
            .entry(sender)
            .or_default()
            .push((index, Some(nonce + 1)));
    }
}

impl<S: StateView> View<'_, '_, S> {
    fn slot_clobbered(&self, address: &Address, slot: &U256) -> bool {
        let o = self.overlay;
        any_before(o.clobbered.get(address), self.before)
            || o.families.iter().any(|(i, a, root)| {
                *i < self.before && a == address && o.origins.derives_from(*slot, *root)
            })
    }

    /// Every value a slot may hold at this point of the block (`None`: unknown).
    fn alternatives(&self, address: &Address, slot: &U256) -> Option<Vec<U256>> {
        let o = self.overlay;
        if let Some(value) = latest(o.storage.get(&(*address, *slot)), self.before) {
            return value.clone();
        }
        if self.slot_clobbered(address, slot) {
            return None;
        }
        o.base.storage(address, slot).map(|v| vec![v])
    }
}

impl<S: StateView> StateView for View<'_, '_, S> {
    fn exists(&self, address: &Address) -> Option<bool> {
        // Creating or deleting an account is a code/existence write; only a credit the
        // predictions keep as a balance change (the fee to the beneficiary) may create one.
        let o = self.overlay;
        if any_before(o.codes.get(address), self.before) {
            return None;
        }
        match o.base.exists(address) {
            Some(false) if any_before(o.balances.get(address), self.before) => None,
            known => known,
        }
    }

    fn code(&self, address: &Address) -> Option<Arc<ContractCode>> {
        match latest(self.overlay.codes.get(address), self.before) {
            Some(code) => code.clone(),
            None => self.overlay.base.code(address),
        }
    }

    fn balance(&self, address: &Address) -> Option<U256> {
        if any_before(self.overlay.balances.get(address), self.before) {
            return None;
        }
        self.overlay.base.balance(address)
    }

    fn nonce(&self, address: &Address) -> Option<u64> {
        match latest(self.overlay.nonces.get(address), self.before) {
            Some(nonce) => *nonce,
            None => self.overlay.base.nonce(address),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Option<U256> {
        let o = self.overlay;
        if let Some(value) = latest(o.storage.get(&(*address, *slot)), self.before) {
            return match value.as_deref() {
                Some([v]) => Some(*v),
                _ => None,
            };
        }
        if self.slot_clobbered(address, slot) {
            return None;
        }
        o.base.storage(address, slot)
    }

    fn storage_alternatives(&self, address: &Address, slot: &U256) -> Option<Vec<U256>> {
        self.alternatives(address, slot).filter(|v| v.len() > 1)
    }
}

/// The state before one transaction of the block, over an overlay other threads extend: every
/// query sees the changes committed so far. Queries share the lock; only a commit excludes them
/// (under a mutex, two threads' queries waited on each other).
#[derive(Debug)]
pub(crate) struct Shared<'o, 'a, S: StateView> {
    overlay: &'o RwLock<Overlay<'a, S>>,
    before: usize,
}

impl<'o, 'a, S: StateView> Shared<'o, 'a, S> {
    /// The state before transaction `index`.
    pub(crate) fn new(overlay: &'o RwLock<Overlay<'a, S>>, index: usize) -> Self {
        Self {
            overlay,
            before: index,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&View<'_, 'a, S>) -> T) -> T {
        // A commit holds the lock for microseconds: spin rather than sleep in the kernel,
        // which costs the sleeper and the committer that wakes it far more.
        let overlay = loop {
            match self.overlay.try_read() {
                Ok(overlay) => break overlay,
                Err(TryLockError::Poisoned(e)) => break e.into_inner(),
                Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
            }
        };
        f(&overlay.view(self.before))
    }
}

impl<S: StateView> StateView for Shared<'_, '_, S> {
    fn exists(&self, address: &Address) -> Option<bool> {
        self.with(|v| v.exists(address))
    }

    fn code(&self, address: &Address) -> Option<Arc<ContractCode>> {
        self.with(|v| v.code(address))
    }

    fn balance(&self, address: &Address) -> Option<U256> {
        self.with(|v| v.balance(address))
    }

    fn nonce(&self, address: &Address) -> Option<u64> {
        self.with(|v| v.nonce(address))
    }

    fn known_empty(&self, address: &Address) -> bool {
        self.with(|v| v.known_empty(address))
    }

    fn storage(&self, address: &Address, slot: &U256) -> Option<U256> {
        self.with(|v| v.storage(address, slot))
    }

    fn storage_alternatives(&self, address: &Address, slot: &U256) -> Option<Vec<U256>> {
        self.with(|v| v.storage_alternatives(address, slot))
    }
}
