//! The per-transaction entry point, and the accesses every transaction makes.

use crate::env::BlockEnv;
use crate::limits::Limits;
use crate::location::{Access, Location};
use crate::memo::Memo;
use crate::prediction::AccessPrediction;
use crate::state::{ContractCode, StateView};
use crate::vm::{Entry, Machine, Post, Preset, TxEnv, delegate_of, delegation};
use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, TxKind, U256};
use alloy_rpc_types_eth::Transaction;
use revm::primitives::hardfork::SpecId;
use std::sync::Arc;

/// Whether a message to `target` creates or deletes it: any message touches a missing account
/// (a credit creates it; from Spurious Dragon on, EIP-161, a touched empty account is
/// deleted at the end), and a call without value deletes an existing empty one.
pub(crate) fn touch_changes_existence(
    state: &impl StateView,
    spec: SpecId,
    target: &Address,
    credit: bool,
) -> bool {
    let clearing = spec.is_enabled_in(SpecId::SPURIOUS_DRAGON);
    match state.exists(target) {
        Some(false) => true,
        Some(true) if clearing && !credit => state.known_empty(target),
        _ => false,
    }
}

/// Applies an EIP-7702 authorization list as the EVM does, after the sender's nonce is bumped
/// and before any code runs: an authorization with a valid signature, for this chain or any,
/// whose nonce is the authority's, sets the authority's code to a delegation and bumps its
/// nonce. The authority is read either way. Returns the accounts changed, in list order.
fn authorize(
    tx: &Transaction,
    env: &BlockEnv,
    state: &impl StateView,
    prediction: &mut AccessPrediction,
) -> Preset {
    let sender = tx.inner.signer();
    let mut preset: Preset = Vec::new();
    for auth in tx.authorization_list().unwrap_or_default() {
        let chain = auth.chain_id();
        if !(chain.is_zero() || *chain == U256::from(env.chain_id)) {
            continue;
        }
        let Ok(authority) = auth.recover_authority() else {
            continue;
        };
        let mut access = |access| {
            for location in [Location::code(authority), Location::nonce(authority)] {
                prediction.exact.insert(location, access);
            }
        };
        access(Access::Read);
        let nonce = match preset.iter().rev().find(|(a, _, _)| *a == authority) {
            Some((_, _, nonce)) => *nonce,
            None if authority == sender => state.nonce(&authority).map(|n| n + 1),
            None => state.nonce(&authority),
        };
        if nonce.is_some_and(|n| n != auth.nonce) {
            continue;
        }
        access(Access::Write);
        let code = (!auth.address.is_zero()).then(|| Arc::new(delegation(auth.address)));
        preset.push((authority, code, nonce.map(|n| n + 1)));
    }
    preset
}

/// Predicts one transaction's accesses against the pre-block state.
pub fn analyze_tx(
    tx: &Transaction,
    env: &BlockEnv,
    state: &impl StateView,
    limits: &Limits,
) -> AccessPrediction {
    predict(tx, env, state, limits, &Memo::default()).0
}

/// A prediction and the state the transaction leaves behind.
pub(crate) fn predict(
    tx: &Transaction,
    env: &BlockEnv,
    state: &impl StateView,
    limits: &Limits,
    memo: &Memo,
) -> (AccessPrediction, Post) {
    let sender = tx.inner.signer();
    let mut prediction = AccessPrediction::default();
    prediction
        .exact
        .insert(Location::nonce(sender), Access::Write);
    prediction
        .exact
        .insert(Location::balance(sender), Access::Write);
    if state.exists(&sender) == Some(false) {
        // A sender that did not exist (a zero gas price) is touched into existence.
        prediction
            .exact
            .insert(Location::code(sender), Access::Write);
    }
    prediction
        .exact
        .insert(Location::balance(env.beneficiary), Access::Increment);
    let preset = authorize(tx, env, state, &mut prediction);
    let value = tx.value();
    // Accesses inside the first frame: undone (credits) or demoted (writes) if it reverts.
    let mut prelude = Vec::new();
    let (target, code, create) = match tx.kind() {
        TxKind::Call(to) => {
            prediction.exact.insert(Location::code(to), Access::Read);
            let code = match preset.iter().rev().find(|(a, _, _)| *a == to) {
                Some((_, code, _)) => code.clone(),
                None => state.code(&to),
            };
            // A delegated account runs its delegate's code.
            let code = match code.as_deref().and_then(delegate_of) {
                Some(delegate) => {
                    prediction
                        .exact
                        .insert(Location::code(delegate), Access::Read);
                    state.code(&delegate)
                }
                None => code,
            };
            (to, code, false)
        }
        TxKind::Create => {
            let nonce = tx.nonce();
            let created = sender.create(nonce);
            prelude.push((Location::code(created), Access::Write));
            prelude.push((Location::nonce(created), Access::Write));
            let init = tx.input();
            let code = (!init.is_empty()).then(|| Arc::new(ContractCode::new(init.clone())));
            (created, code, true)
        }
    };
    if !value.is_zero() {
        prelude.push((Location::balance(target), Access::Increment));
    }
    if !create && touch_changes_existence(state, env.spec, &target, !value.is_zero()) {
        prelude.push((Location::code(target), Access::Write));
    }
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        for (location, access) in prelude {
            prediction.exact.insert(location, access);
        }
        let mut post = Post::default();
        for (address, code, nonce) in preset {
            post.codes.insert(address, code);
            post.nonces.insert(address, nonce);
        }
        return (prediction, post);
    };
    let gas_price = tx
        .effective_gas_price
        .unwrap_or_else(|| tx.inner.effective_gas_price(env.base_fee));
    let tx_env = TxEnv {
        origin: sender,
        gas_price: U256::from(gas_price),
        blob_hashes: tx.blob_versioned_hashes().unwrap_or_default(),
        gas_limit: tx.gas_limit(),
    };
    let entry = Entry {
        code,
        address: target,
        value,
        calldata: if create {
            Vec::new()
        } else {
            tx.input().to_vec()
        },
        create,
        preset,
    };
    let outcome = Machine::new(state, env, limits, tx_env, memo).run(entry, &prelude, sender);
    outcome.exact.add_to(&mut prediction.exact);
    prediction.widened = outcome.widened.into_iter().collect();
    prediction.origins = outcome.origins;
    prediction.work = outcome.work;
    let mut assumptions: Vec<Location> = outcome
        .seen
        .iter()
        .map(|(l, _)| *l)
        .filter(|l| matches!(l, Location::Storage { .. } | Location::Balance { .. }))
        .collect();
    assumptions.sort_unstable();
    assumptions.dedup();
    prediction.assumptions = assumptions;
    (prediction, outcome.post)
}
