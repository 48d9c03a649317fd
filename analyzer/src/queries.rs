//! Every question an analysis asked of the state, with the answer it got.
//!
//! An analysis is a function of the transaction, the block and these answers; so its result
//! holds against another state (the overlay of the earlier transactions of the block) exactly
//! when that state gives the same answers. That makes a prediction made ahead of block order
//! reusable, or not, without any guess about what it depended on.

use crate::state::{ContractCode, StateView};
use alloy_primitives::{Address, U256};
use std::sync::{Arc, Mutex, PoisonError};

/// One question and its answer.
#[derive(Debug)]
enum Query {
    Exists(Address, Option<bool>),
    Code(Address, Option<Arc<ContractCode>>),
    Balance(Address, Option<U256>),
    Nonce(Address, Option<u64>),
    Storage(Address, U256, Option<U256>),
    Alternatives(Address, U256, Option<Vec<U256>>),
}

/// Whether two answers to a code query are the same code.
fn same_code(a: Option<&Arc<ContractCode>>, b: Option<&Arc<ContractCode>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a.bytes() == b.bytes(),
        _ => false,
    }
}

impl Query {
    /// Whether `state` answers this question as it was answered.
    fn holds(&self, state: &impl StateView) -> bool {
        match self {
            Self::Exists(a, v) => state.exists(a) == *v,
            Self::Code(a, v) => same_code(state.code(a).as_ref(), v.as_ref()),
            Self::Balance(a, v) => state.balance(a) == *v,
            Self::Nonce(a, v) => state.nonce(a) == *v,
            Self::Storage(a, s, v) => state.storage(a, s) == *v,
            Self::Alternatives(a, s, v) => state.storage_alternatives(a, s) == *v,
        }
    }
}

/// The questions one analysis asked, in order.
#[derive(Debug, Default)]
pub(crate) struct Answers(Vec<Query>);

impl Answers {
    /// Whether `state` gives every answer this analysis got.
    pub(crate) fn hold(&self, state: &impl StateView) -> bool {
        self.0.iter().all(|q| q.holds(state))
    }
}

/// A state that notes every answer it gives.
#[derive(Debug)]
pub(crate) struct Logged<'s, S: StateView> {
    state: &'s S,
    log: Mutex<Vec<Query>>,
}

impl<'s, S: StateView> Logged<'s, S> {
    /// Wraps `state`; nothing asked yet.
    pub(crate) fn new(state: &'s S) -> Self {
        Self {
            state,
            log: Mutex::new(Vec::new()),
        }
    }

    /// The answers given so far.
    pub(crate) fn into_answers(self) -> Answers {
        Answers(
            self.log
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    fn note(&self, query: Query) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(query);
    }
}

impl<S: StateView> StateView for Logged<'_, S> {
    fn exists(&self, address: &Address) -> Option<bool> {
        let v = self.state.exists(address);
        self.note(Query::Exists(*address, v));
        v
    }

    fn code(&self, address: &Address) -> Option<Arc<ContractCode>> {
        let v = self.state.code(address);
        self.note(Query::Code(*address, v.clone()));
        v
    }

    fn balance(&self, address: &Address) -> Option<U256> {
        let v = self.state.balance(address);
        self.note(Query::Balance(*address, v));
        v
    }

    fn nonce(&self, address: &Address) -> Option<u64> {
        let v = self.state.nonce(address);
        self.note(Query::Nonce(*address, v));
        v
    }

    fn storage(&self, address: &Address, slot: &U256) -> Option<U256> {
        let v = self.state.storage(address, slot);
        self.note(Query::Storage(*address, *slot, v));
        v
    }

    fn storage_alternatives(&self, address: &Address, slot: &U256) -> Option<Vec<U256>> {
        let v = self.state.storage_alternatives(address, slot);
        self.note(Query::Alternatives(*address, *slot, v.clone()));
        v
    }
}
