//! The per-transaction and per-block entry points, and the accesses every transaction makes.

use crate::cause::Cause;
use crate::env::BlockEnv;
use crate::input::BlockInput;
use crate::limits::Limits;
use crate::location::{Access, Location};
use crate::prediction::{AccessPrediction, Scope, Widening};
use crate::state::{BlockState, StateView};
use alloy_consensus::Transaction as _;
use alloy_primitives::TxKind;
use alloy_rpc_types_eth::Transaction;
use rayon::prelude::*;

/// Predicts the accesses of every transaction of a block, in order.
pub fn analyze_block(input: &BlockInput, limits: &Limits) -> Vec<AccessPrediction> {
    let env = BlockEnv::from_header(&input.block.header, &input.block_hashes);
    let state = BlockState::new(&input.prestate);
    input
        .transactions()
        .par_iter()
        .map(|tx| analyze_tx(tx, &env, &state, limits))
        .collect()
}

/// Predicts one transaction's accesses against the pre-block state.
pub fn analyze_tx(
    tx: &Transaction,
    env: &BlockEnv,
    state: &impl StateView,
    limits: &Limits,
) -> AccessPrediction {
    let _ = limits;
    let sender = tx.inner.signer();
    let mut prediction = AccessPrediction::default();
    let exact = &mut prediction.exact;
    exact.insert(Location::nonce(sender), Access::Write);
    exact.insert(Location::balance(sender), Access::Write);
    exact.insert(Location::balance(env.beneficiary), Access::Increment);
    let value = tx.value();
    let target = match tx.kind() {
        TxKind::Call(to) => {
            exact.insert(Location::code(to), Access::Read);
            to
        }
        TxKind::Create => {
            let nonce = state.nonce(&sender).unwrap_or_else(|| tx.nonce());
            let created = sender.create(nonce);
            exact.insert(Location::code(created), Access::Write);
            exact.insert(Location::nonce(created), Access::Write);
            created
        }
    };
    if !value.is_zero() {
        exact.insert(Location::balance(target), Access::Increment);
    }
    let runs_code = match tx.kind() {
        TxKind::Call(to) => state.code(&to).is_some(),
        TxKind::Create => !tx.input().is_empty(),
    };
    if runs_code {
        prediction.widened.push(Widening {
            scope: Scope::Unknown,
            access: Access::Write,
            reason: Cause::UnsupportedCode.at(0, target),
        });
    }
    prediction
}
