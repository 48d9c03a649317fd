//! The per-block entry point: every transaction's prediction against what the predictions
//! before it leave, with the threads of the rayon pool analysing ahead of block order.

use crate::env::BlockEnv;
use crate::input::BlockInput;
use crate::input::PreState;
use crate::limits::Limits;
use crate::memo::Memo;
use crate::overlay::{Overlay, Shared};
use crate::prediction::AccessPrediction;
use crate::queries::{Logged, Standing};
use crate::state::BlockState;
use crate::tx::predict;
use crate::vm::Post;
use alloy_consensus::Transaction as _;
use alloy_primitives::TxKind;
use alloy_rpc_types_eth::Transaction;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

/// A prediction, what its transaction leaves behind, and whether it was made against the
/// complete state before the transaction (else the state's answers are in the `Post`).
type Result = (AccessPrediction, Post, bool);

/// Locks, ignoring poisoning (a panic elsewhere already fails the analysis).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Predicts the accesses of every transaction of a block, in order.
///
/// Transaction `j`'s prediction is the one made against the overlay of the predictions of
/// transactions `0..j`. Every thread of the rayon pool takes the next transaction not yet taken
/// and analyses it against the overlay as far as it is built (the transactions just before it
/// may still be missing); whichever thread finds the next transaction in block order analysed
/// commits it: the prediction is kept if the complete overlay answers every query the analysis
/// made as it was answered, else the transaction is analysed again against it. So the result
/// does not depend on the threads, and a transaction is analysed twice only when one of the
/// few before it that were still in flight changed what it read. A transaction that runs no
/// code (a plain transfer) is left to the committer: handing it over and checking its answers
/// would cost more than analysing it (on blocks of many transfers, two threads were slower
/// than one).
pub fn analyze_block(input: &BlockInput, limits: &Limits) -> Vec<AccessPrediction> {
    let env = BlockEnv::from_input(input);
    let state = BlockState::new(&input.prestate);
    let txs = input.transactions();
    let overlay = RwLock::new(Overlay::new(&state));
    let memo = Memo::default();
    // A transaction that runs no code costs less to analyse in block order, against the
    // complete state, than to hand to another thread and check against it afterwards.
    let runs_code: Vec<bool> = txs
        .iter()
        .map(|tx| may_run_code(tx, &input.prestate))
        .collect();
    let ready: Vec<Mutex<Option<Result>>> = txs.iter().map(|_| Mutex::new(None)).collect();
    let taken = AtomicUsize::new(0);
    let committed = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(txs.len()));
    // Commits every analysed transaction next in block order; returns at once if another
    // thread is committing.
    let commit = || {
        let Ok(mut out) = results.try_lock() else {
            return;
        };
        while let Some(tx) = txs.get(out.len()) {
            let j = out.len();
            let ahead = if runs_code[j] {
                let Some(ahead) = lock(&ready[j]).take() else {
                    break;
                };
                Some(ahead)
            } else {
                None
            };
            // Nothing else commits meanwhile: the overlay stays as it is while read.
            let read = overlay.read().unwrap_or_else(PoisonError::into_inner);
            let view = read.view(j);
            let (prediction, post) = match ahead {
                Some(ahead) if ahead.2 || ahead.1.answers.hold(&view) => (ahead.0, ahead.1),
                _ => predict(tx, &env, &view, limits, &memo),
            };
            drop(read);
            let mut o = overlay.write().unwrap_or_else(PoisonError::into_inner);
            o.apply(j, &prediction, &post);
            o.bump_nonce(j, tx.inner.signer(), tx.nonce());
            drop(o);
            out.push(prediction);
            committed.store(j + 1, Ordering::Release);
        }
    };
    let run = || {
        while committed.load(Ordering::Acquire) < txs.len() {
            commit();
            let k = taken.fetch_add(1, Ordering::Relaxed);
            if runs_code.get(k) == Some(&false) {
                // Left to the committer.
                continue;
            }
            if let Some(tx) = txs.get(k) {
                // With every transaction before it committed, the state it sees is complete and
                // stays so (nothing can commit before it): read without checks, under one lock.
                let result = if committed.load(Ordering::Acquire) == k {
                    let read = overlay.read().unwrap_or_else(PoisonError::into_inner);
                    let (prediction, post) = predict(tx, &env, &read.view(k), limits, &memo);
                    (prediction, post, true)
                } else {
                    // Made again as soon as it turns out stale, against the state the
                    // transactions before it left, which nothing changes until it is ready.
                    let view = Shared::new(&overlay, k);
                    let logged = Logged::watching(&view, &committed, k);
                    let (prediction, mut post) = predict(tx, &env, &logged, limits, &memo);
                    match logged.standing() {
                        Standing::Complete => (prediction, post, true),
                        Standing::Outdated => {
                            let read = overlay.read().unwrap_or_else(PoisonError::into_inner);
                            let (prediction, post) =
                                predict(tx, &env, &read.view(k), limits, &memo);
                            (prediction, post, true)
                        }
                        Standing::Pending => {
                            post.answers = logged.into_answers();
                            (prediction, post, false)
                        }
                    }
                };
                *lock(&ready[k]) = Some(result);
            } else {
                // All taken: another thread is analysing or committing the rest.
                std::thread::yield_now();
            }
        }
    };
    // The calling thread analyses too, from the start: called from outside the pool, a scope
    // would first wait for a sleeping worker to wake up just to run its body.
    rayon::in_place_scope(|scope| {
        for _ in 1..rayon::current_num_threads() {
            scope.spawn(|_| run());
        }
        run();
    });
    results.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// Whether `tx` may run code: all but a call without an authorization list to an account that
/// has no code before the block (code the block deploys there first is still found: the
/// committer analyses against the complete state).
fn may_run_code(tx: &Transaction, pre: &PreState) -> bool {
    match tx.kind() {
        TxKind::Call(to) => {
            tx.authorization_list().is_some()
                || pre.account(&to).is_some_and(|a| !a.code.is_empty())
        }
        TxKind::Create => true,
    }
}
