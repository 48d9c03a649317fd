//! Why a block could not be executed.

use alloy_primitives::B256;
use revm::context_interface::result::EVMError;
use std::fmt::Display;

/// Why a block could not be executed. Every variant names the block, and the transaction when
/// there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// revm refused the transaction (nonce, balance, fee, gas limit, type not active, ...).
    #[error("block {block} tx {index} ({hash}): revm rejected: {message}")]
    Rejected {
        /// Block number.
        block: u64,
        /// Transaction index in the block.
        index: usize,
        /// Transaction hash.
        hash: B256,
        /// revm's reason.
        message: String,
    },
    /// The state could not answer a lookup the transaction made.
    #[error("block {block} tx {index} ({hash}): {message}")]
    State {
        /// Block number.
        block: u64,
        /// Transaction index in the block.
        index: usize,
        /// Transaction hash.
        hash: B256,
        /// The database's error.
        message: String,
    },
    /// The transaction's gas limit exceeds what the block has left.
    #[error(
        "block {block} tx {index} ({hash}): gas limit {gas_limit} exceeds the block's remaining gas {available}"
    )]
    BlockGas {
        /// Block number.
        block: u64,
        /// Transaction index in the block.
        index: usize,
        /// Transaction hash.
        hash: B256,
        /// The transaction's gas limit.
        gas_limit: u64,
        /// Block gas limit minus the gas used before it.
        available: u64,
    },
    /// A transaction index outside the block.
    #[error("block {block}: no transaction {index} (the block has {count})")]
    NoSuchTx {
        /// Block number.
        block: u64,
        /// The index asked for.
        index: usize,
        /// Transactions in the block.
        count: usize,
    },
    /// A pre- or post-block step (system call, rewards, withdrawals) failed.
    #[error("block {block}: {step}: {message}")]
    Block {
        /// Block number.
        block: u64,
        /// Which step.
        step: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl ExecError {
    /// Classifies revm's error for transaction `index` (hash `hash`) of block `block`.
    pub fn from_evm<E: Display>(block: u64, index: usize, hash: B256, err: EVMError<E>) -> Self {
        match err {
            EVMError::Database(e) => Self::State {
                block,
                index,
                hash,
                message: e.to_string(),
            },
            EVMError::Header(e) => Self::Rejected {
                block,
                index,
                hash,
                message: format!("invalid block environment: {e}"),
            },
            other => Self::Rejected {
                block,
                index,
                hash,
                message: other.to_string(),
            },
        }
    }
}
