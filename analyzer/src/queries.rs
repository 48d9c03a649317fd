//! Every question an analysis asked of the state, with the answer it got.
//!
//! An analysis is a function of the transaction, the block and these answers; so its result
//! holds against another state (the overlay of the earlier transactions of the block) exactly
//! when that state gives the same answers. That makes a prediction made ahead of block order
//! reusable, or not, without any guess about what it depended on.

use crate::state::{ContractCode, StateView};
use alloy_primitives::{Address, U256};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// One question and its answer.
#[derive(Debug)]
enum Query {
    Exists(Address, Option<bool>),
    Code(Address, Option<Arc<ContractCode>>),
    Balance(Address, Option<U256>),
    Nonce(Address, Option<u64>),
    Empty(Address, bool),
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
            Self::Empty(a, v) => state.known_empty(a) == *v,
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

/// How an analysis ahead of block order stands against the complete state before its
/// transaction (see [`Logged::watching`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// The transactions before it are not all committed yet: its answers are checked later.
    Pending,
    /// They are, and every answer so far was the complete state's: the rest of the analysis
    /// asks the complete state, so its result is the one made against it.
    Complete,
    /// They are, and an answer differed: the result is of no use.
    Outdated,
}

/// A state that notes every answer it gives.
#[derive(Debug)]
pub(crate) struct Logged<'s, S: StateView> {
    state: &'s S,
    log: Mutex<Vec<Query>>,
    /// With [`Self::watching`]: the number of transactions committed, and this one's index.
    watch: Option<(&'s AtomicUsize, usize)>,
    standing: AtomicU8,
}

impl<'s, S: StateView> Logged<'s, S> {
    /// Wraps `state`; nothing asked yet.
    pub(crate) fn new(state: &'s S) -> Self {
        Self {
            state,
            log: Mutex::new(Vec::with_capacity(64)),
            watch: None,
            standing: AtomicU8::new(Standing::Pending as u8),
        }
    }

    /// Wraps `state`, the state before transaction `index` as far as the transactions
    /// committed (`committed`) tell, which becomes complete once they are all committed: from
    /// then on, the first question checks the answers given so far against it, so that an
    /// analysis made stale by a transaction just committed stops at once (see
    /// [`StateView::outdated`]) instead of running to its end and being made again.
    pub(crate) fn watching(state: &'s S, committed: &'s AtomicUsize, index: usize) -> Self {
        Self {
            watch: Some((committed, index)),
            ..Self::new(state)
        }
    }

    /// Where the analysis stands.
    pub(crate) fn standing(&self) -> Standing {
        match self.standing.load(Ordering::Acquire) {
            s if s == Standing::Complete as u8 => Standing::Complete,
            s if s == Standing::Outdated as u8 => Standing::Outdated,
            _ => Standing::Pending,
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
        if self.standing() != Standing::Pending {
            return;
        }
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.push(query);
        if let Some((committed, index)) = self.watch
            && committed.load(Ordering::Acquire) == index
        {
            let standing = if log.iter().all(|q| q.holds(self.state)) {
                Standing::Complete
            } else {
                Standing::Outdated
            };
            self.standing.store(standing as u8, Ordering::Release);
        }
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

    fn known_empty(&self, address: &Address) -> bool {
        let v = self.state.known_empty(address);
        self.note(Query::Empty(*address, v));
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

    fn outdated(&self) -> bool {
        self.standing() == Standing::Outdated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One storage value and one balance, changed by the test as a commit would.
    struct Cell {
        storage: Mutex<Option<U256>>,
        balance: Mutex<Option<U256>>,
    }

    impl Cell {
        fn new(storage: Option<U256>, balance: Option<U256>) -> Self {
            Self {
                storage: Mutex::new(storage),
                balance: Mutex::new(balance),
            }
        }
    }

    impl StateView for Cell {
        fn exists(&self, _: &Address) -> Option<bool> {
            Some(true)
        }
        fn code(&self, _: &Address) -> Option<Arc<ContractCode>> {
            None
        }
        fn balance(&self, _: &Address) -> Option<U256> {
            *self.balance.lock().unwrap()
        }
        fn nonce(&self, _: &Address) -> Option<u64> {
            Some(0)
        }
        fn storage(&self, _: &Address, _: &U256) -> Option<U256> {
            *self.storage.lock().unwrap()
        }
    }

    fn watched(changed: Option<U256>) -> Standing {
        let cell = Cell::new(Some(U256::from(1)), Some(U256::ZERO));
        let committed = AtomicUsize::new(3);
        let logged = Logged::watching(&cell, &committed, 5);
        assert_eq!(
            logged.storage(&Address::ZERO, &U256::ZERO),
            Some(U256::from(1))
        );
        assert_eq!(logged.standing(), Standing::Pending);
        assert!(!logged.outdated());
        // Transactions 3 and 4 commit; the next question checks the answers so far.
        *cell.storage.lock().unwrap() = changed;
        committed.store(5, Ordering::Release);
        logged.nonce(&Address::ZERO);
        let standing = logged.standing();
        assert_eq!(logged.outdated(), standing == Standing::Outdated);
        standing
    }

    #[test]
    fn an_analysis_ahead_is_complete_once_the_commits_before_it_agree() {
        assert_eq!(watched(Some(U256::from(1))), Standing::Complete);
    }

    #[test]
    fn an_analysis_ahead_is_outdated_once_a_commit_before_it_changed_an_answer() {
        assert_eq!(watched(Some(U256::from(2))), Standing::Outdated);
        assert_eq!(watched(None), Standing::Outdated);
    }

    #[test]
    fn an_emptiness_check_holds_while_its_verdict_does() {
        let account = Cell::new(None, Some(U256::from(5)));
        let logged = Logged::new(&account);
        assert!(!logged.known_empty(&Address::ZERO));
        let answers = logged.into_answers();
        // An earlier transaction moved the balance: unknown now, still not known empty.
        *account.balance.lock().unwrap() = None;
        assert!(answers.hold(&account));
        // Emptied: the verdict changed.
        *account.balance.lock().unwrap() = Some(U256::ZERO);
        assert!(!answers.hold(&account));
    }

    #[test]
    fn an_unwatched_log_stays_pending() {
        let cell = Cell::new(None, Some(U256::ZERO));
        let logged = Logged::new(&cell);
        logged.storage(&Address::ZERO, &U256::ZERO);
        assert_eq!(logged.standing(), Standing::Pending);
        assert_eq!(logged.into_answers().0.len(), 1);
    }
}
