//! Receipts, the receipts root and the logs bloom, with alloy's receipt and trie code.

use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, TxType, proofs};
use alloy_primitives::{B256, Bloom, Log, logs_bloom};
use revm::context_interface::result::ExecutionResult;
use serde::Serialize;

/// What one transaction left in the block: the fields of its receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxReceipt {
    /// The EIP-2718 type byte.
    pub tx_type: u8,
    /// Whether it succeeded (EIP-658 status).
    pub success: bool,
    /// Gas it used (after refunds).
    pub gas_used: u64,
    /// Gas used by the block up to and including it.
    pub cumulative_gas_used: u64,
    /// Logs it emitted.
    pub logs: Vec<Log>,
}

impl TxReceipt {
    /// The receipt of an executed transaction.
    pub fn new<H>(tx_type: u8, result: &ExecutionResult<H>, cumulative_gas_used: u64) -> Self {
        Self {
            tx_type,
            success: result.is_success(),
            gas_used: result.tx_gas_used(),
            cumulative_gas_used,
            logs: result.logs().to_vec(),
        }
    }

    /// alloy's consensus receipt (with an EIP-658 status: the receipts root it gives is the
    /// header's only from Byzantium on).
    pub fn to_envelope(&self) -> ReceiptEnvelope {
        let receipt = Receipt {
            status: Eip658Value::Eip658(self.success),
            cumulative_gas_used: self.cumulative_gas_used,
            logs: self.logs.clone(),
        };
        // Unknown types cannot reach here: the loader only accepts alloy's transaction types.
        let tx_type = TxType::try_from(self.tx_type).unwrap_or(TxType::Legacy);
        ReceiptEnvelope::from_typed(tx_type, receipt.with_bloom())
    }

    /// The bloom filter of its logs.
    pub fn bloom(&self) -> Bloom {
        logs_bloom(&self.logs)
    }
}

/// The receipts root (Byzantium and later) of a block's receipts.
pub fn receipts_root(receipts: &[TxReceipt]) -> B256 {
    let envelopes: Vec<ReceiptEnvelope> = receipts.iter().map(TxReceipt::to_envelope).collect();
    proofs::calculate_receipt_root(&envelopes)
}

/// The block's logs bloom: the union of every receipt's bloom.
pub fn block_bloom(receipts: &[TxReceipt]) -> Bloom {
    logs_bloom(receipts.iter().flat_map(|r| &r.logs))
}
