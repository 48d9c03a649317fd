//! One row per transaction: who called what, and how well it was predicted.

use super::block::BlockRun;
use super::table::Table;
use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::Transaction;
use lanes_analyzer::BlockInput;
use serde::Serialize;

/// A transaction's row in the per-block table.
#[derive(Debug, Serialize)]
pub(crate) struct TxRow {
    /// Position in the block.
    pub(crate) index: usize,
    /// Transaction hash.
    pub(crate) hash: B256,
    /// Sender.
    pub(crate) from: Address,
    /// Recipient (`None` for a creation).
    pub(crate) to: Option<Address>,
    /// The 4-byte selector as hex, or `transfer`, `create`, `call`.
    pub(crate) kind: String,
    /// Gas used.
    pub(crate) gas: u64,
    /// Exactly predicted reads.
    pub(crate) predicted_reads: usize,
    /// Exactly predicted writes.
    pub(crate) predicted_writes: usize,
    /// Exactly predicted increments.
    pub(crate) predicted_increments: usize,
    /// Widenings of any kind.
    pub(crate) widenings: usize,
    /// A contract-wide or unknown widening.
    pub(crate) widened: bool,
    /// Every actual access predicted.
    pub(crate) covered: bool,
    /// Actual accesses not predicted.
    pub(crate) missed: usize,
}

impl TxRow {
    /// Every transaction of a run.
    pub(crate) fn all(run: &BlockRun) -> Vec<Self> {
        run.input
            .transactions()
            .iter()
            .zip(&run.predictions)
            .zip(&run.quality.txs)
            .enumerate()
            .map(|(index, ((tx, prediction), quality))| Self {
                index,
                hash: *tx.inner.tx_hash(),
                from: tx.inner.signer(),
                to: tx.to(),
                kind: kind(tx, &run.input),
                gas: quality.gas,
                predicted_reads: prediction.exact.reads.len(),
                predicted_writes: prediction.exact.writes.len(),
                predicted_increments: prediction.exact.increments.len(),
                widenings: prediction.widened.len(),
                widened: quality.widened,
                covered: quality.covered,
                missed: quality.missed.len(),
            })
            .collect()
    }

    /// The rows as a table.
    pub(crate) fn table(rows: &[Self]) -> Table {
        let mut table = Table::new(&[
            ">#",
            "hash",
            "from -> to",
            "kind",
            ">gas",
            ">R/W/I",
            "widened",
            "covered",
        ]);
        for row in rows {
            let to = row
                .to
                .map_or_else(|| "(new)".to_owned(), |a| short(a.as_slice()));
            let widened = if row.widened {
                "yes".to_owned()
            } else if row.widenings > 0 {
                format!("{} family", row.widenings)
            } else {
                String::new()
            };
            let covered = if row.covered {
                "yes".to_owned()
            } else {
                format!("NO ({} missed)", row.missed)
            };
            table.row(vec![
                row.index.to_string(),
                short(row.hash.as_slice()),
                format!("{} -> {to}", short(row.from.as_slice())),
                row.kind.clone(),
                row.gas.to_string(),
                format!(
                    "{}/{}/{}",
                    row.predicted_reads, row.predicted_writes, row.predicted_increments
                ),
                widened,
                covered,
            ]);
        }
        table
    }
}

/// `0x1234…abcd`.
pub(crate) fn short(bytes: &[u8]) -> String {
    let hex = alloy_primitives::hex::encode(bytes);
    if hex.len() <= 12 {
        format!("0x{hex}")
    } else {
        format!("0x{}…{}", &hex[..4], &hex[hex.len() - 4..])
    }
}

/// The selector, or what kind of transaction it is.
fn kind(tx: &Transaction, input: &BlockInput) -> String {
    let Some(to) = tx.to() else {
        return "create".to_owned();
    };
    let data = tx.input();
    if data.len() >= 4 {
        return format!("0x{}", alloy_primitives::hex::encode(&data[..4]));
    }
    if input.prestate.code(&to).is_empty() {
        "transfer".to_owned()
    } else {
        "call".to_owned()
    }
}
