//! The block environment and the transaction environments revm executes.

use super::spec::ChainRules;
use alloy_consensus::{BlockHeader, Transaction as _, Typed2718};
use alloy_evm::{EvmEnv, FromRecoveredTx};
use alloy_primitives::{Address, B256};
use lanes_analyzer::BlockInput;
use revm::context::TxEnv;

/// revm's configuration and block environment for a block (alloy-evm's `for_eth_block`:
/// beneficiary, timestamp, gas limit, base fee, difficulty or prevrandao, blob excess gas).
pub fn evm_env(input: &BlockInput, rules: &ChainRules) -> EvmEnv {
    let header = &input.block.header;
    let blob_params = rules.blob_params(header.timestamp());
    let mut env = EvmEnv::for_eth_block(header, &rules.hardforks, rules.chain_id, blob_params);
    // The spec is decided once, in `ChainRules`; keep the two in agreement.
    env.cfg_env.spec = rules.spec;
    env
}

/// One transaction converted for revm, with what receipts and errors need.
#[derive(Clone, Debug)]
pub struct PreparedTx {
    /// revm's transaction environment (sender taken from the RPC `from` field).
    pub env: TxEnv,
    /// The transaction hash.
    pub hash: B256,
    /// The EIP-2718 type byte.
    pub tx_type: u8,
    /// EIP-7702 authorities (signers of valid-looking authorizations), whose nonce, code and
    /// existence the transaction depends on.
    pub authorities: Vec<Address>,
}

/// Converts the block's transactions with alloy-evm's `FromRecoveredTx`.
pub fn prepare_txs(input: &BlockInput) -> Vec<PreparedTx> {
    input
        .transactions()
        .iter()
        .map(|tx| PreparedTx {
            env: TxEnv::from_recovered_tx(tx.inner.inner(), tx.inner.signer()),
            hash: *tx.inner.tx_hash(),
            tx_type: tx.inner.ty(),
            authorities: tx
                .inner
                .authorization_list()
                .unwrap_or_default()
                .iter()
                .filter_map(|auth| auth.recover_authority().ok())
                .collect(),
        })
        .collect()
}
