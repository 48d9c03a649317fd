//! The generated block: header, unsigned-but-recovered transactions, sealing.
//!
//! The chain id is not mainnet's, so the executor takes the fork from the header's shape
//! (`requestsHash`: Prague); number and timestamp are past mainnet's Prague activation, so the
//! analyzer's mainnet schedule agrees.

use super::Workload;
use crate::exec::BlockOutcome;
use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, SignableTransaction, TxEip1559, TxEnvelope, proofs,
};
use alloy_eips::eip2930::AccessList;
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256, keccak256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Transaction, Withdrawals};
use alloy_trie::EMPTY_ROOT_HASH;
use lanes_analyzer::{BlockInput, PreState};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The generated blocks' beneficiary.
pub(super) const BENEFICIARY: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xee, 0x02,
]);
/// Block number (after mainnet's Prague block, see the module doc).
pub(super) const NUMBER: u64 = 23_000_000;
/// 2026-01-01T00:00:00Z.
pub(super) const TIMESTAMP: u64 = 1_767_225_600;
/// anvil's chain id.
pub(super) const CHAIN_ID: u64 = 31_337;
/// Base fee and the transactions' fee caps (wei per gas).
const BASE_FEE: u64 = 1_000_000_000;
const MAX_FEE: u128 = 2_000_000_000;
const PRIORITY_FEE: u128 = 1_000_000_000;
/// The smallest block gas limit (the workload's own gas limits may need more).
const MIN_GAS_LIMIT: u64 = 36_000_000;

/// One transaction to generate: a call (or a plain transfer) from a sender with nonce 0.
#[derive(Clone, Debug)]
pub(super) struct Call {
    pub(super) from: Address,
    pub(super) to: Address,
    pub(super) value: U256,
    pub(super) input: Bytes,
    pub(super) gas_limit: u64,
}

/// The block of `calls` over `prestate`, with an unsealed header.
pub(super) fn assemble(workload: &Workload, prestate: PreState, calls: &[Call]) -> BlockInput {
    // Signature checks are not part of execution: transactions carry their sender
    // (`Recovered::new_unchecked`) and one fixed signature, which only feeds the hash.
    let signature = Signature::new(U256::from(1), U256::from(1), false);
    let envelopes: Vec<TxEnvelope> = calls
        .iter()
        .map(|call| {
            TxEnvelope::from(
                TxEip1559 {
                    chain_id: CHAIN_ID,
                    nonce: 0,
                    gas_limit: call.gas_limit,
                    max_fee_per_gas: MAX_FEE,
                    max_priority_fee_per_gas: PRIORITY_FEE,
                    to: TxKind::Call(call.to),
                    value: call.value,
                    access_list: AccessList::default(),
                    input: call.input.clone(),
                }
                .into_signed(signature),
            )
        })
        .collect();
    let gas_limit = calls
        .iter()
        .map(|c| c.gas_limit)
        .sum::<u64>()
        .max(MIN_GAS_LIMIT);
    let seed = workload.seed.to_be_bytes();
    let header = Header {
        parent_hash: keccak256([b"parent".as_slice(), &seed].concat()),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: BENEFICIARY,
        transactions_root: proofs::calculate_transaction_root(&envelopes),
        receipts_root: EMPTY_ROOT_HASH,
        withdrawals_root: Some(EMPTY_ROOT_HASH),
        number: NUMBER,
        gas_limit,
        timestamp: TIMESTAMP,
        mix_hash: keccak256([b"prevrandao".as_slice(), &seed].concat()),
        base_fee_per_gas: Some(BASE_FEE),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(keccak256([b"beacon".as_slice(), &seed].concat())),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Header::default()
    };
    let txs = envelopes
        .into_iter()
        .zip(calls)
        .enumerate()
        .map(|(index, (envelope, call))| Transaction {
            inner: alloy_consensus::transaction::Recovered::new_unchecked(envelope, call.from),
            block_hash: None,
            block_number: Some(NUMBER),
            transaction_index: Some(index as u64),
            effective_gas_price: Some(u128::from(BASE_FEE) + PRIORITY_FEE),
            block_timestamp: Some(TIMESTAMP),
        })
        .collect();
    let mut block_hashes = BTreeMap::new();
    block_hashes.insert(NUMBER - 1, header.parent_hash);
    BlockInput {
        dir: PathBuf::from(format!(
            "<generated {} workload, {} txs, hot ratio {}, seed {}>",
            workload.kind, workload.txs, workload.hot_ratio, workload.seed
        )),
        block: Block {
            header: alloy_rpc_types_eth::Header::new(header),
            uncles: Vec::new(),
            transactions: BlockTransactions::Full(txs),
            withdrawals: Some(Withdrawals::default()),
        },
        prestate,
        block_hashes,
    }
}

/// Writes the execution's receipts root, logs bloom and gas used into the header, rehashes it
/// and points the transactions at it.
pub(super) fn seal(input: &mut BlockInput, outcome: &BlockOutcome) {
    let mut header = input.block.header.inner.clone();
    header.receipts_root = outcome.receipts_root();
    header.logs_bloom = outcome.logs_bloom();
    header.gas_used = outcome.gas_used;
    let hash = header.hash_slow();
    input.block.header = alloy_rpc_types_eth::Header::new(header);
    if let BlockTransactions::Full(txs) = &mut input.block.transactions {
        for tx in txs {
            tx.block_hash = Some(hash);
        }
    }
}
