//! A block directory (DESIGN.md, "Inputs"): `block.json`, `prestate.json` and the optional
//! `block_hashes.json`.

use alloy_primitives::{Address, B256, Bytes, U256, map::AddressMap};
use alloy_rpc_types_eth::{Block, Transaction};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The block file's name inside a block directory.
pub const BLOCK_FILE: &str = "block.json";
/// The pre-state file's name inside a block directory.
pub const PRESTATE_FILE: &str = "prestate.json";
/// The optional BLOCKHASH file's name inside a block directory.
pub const BLOCK_HASHES_FILE: &str = "block_hashes.json";

/// Why a block directory could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("{path}: at `{field}`: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The JSON path of the offending field, e.g. `transactions[3].gas`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The file parses but its content is inconsistent.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One account of the pre-block state. A listed account exists, even when empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Deployed code (empty for accounts without code).
    pub code: Bytes,
    /// Storage slots the block touches, with their pre-block values.
    pub storage: BTreeMap<U256, U256>,
}

/// The state before the block: every account the block touches. Absent accounts did not exist.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreState {
    /// Accounts by address.
    pub accounts: AddressMap<PreAccount>,
}

impl PreState {
    /// An account, if it existed before the block.
    pub fn account(&self, address: &Address) -> Option<&PreAccount> {
        self.accounts.get(address)
    }

    /// A storage value before the block (zero when unknown).
    pub fn storage(&self, address: &Address, slot: &U256) -> U256 {
        self.accounts
            .get(address)
            .and_then(|a| a.storage.get(slot).copied())
            .unwrap_or_default()
    }

    /// An account's code before the block (empty when absent).
    pub fn code(&self, address: &Address) -> &[u8] {
        self.accounts.get(address).map_or(&[], |a| &a.code[..])
    }
}

/// A loaded block directory.
#[derive(Clone, Debug)]
pub struct BlockInput {
    /// The directory it was loaded from.
    pub dir: PathBuf,
    /// `eth_getBlockByNumber(N, true)`.
    pub block: Block<Transaction>,
    /// The pre-block state.
    pub prestate: PreState,
    /// Hashes for the BLOCKHASH opcode, by block number (the parent hash included).
    pub block_hashes: BTreeMap<u64, B256>,
}

impl BlockInput {
    /// Loads a block directory.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, InputError> {
        let dir = dir.as_ref();
        let block_path = dir.join(BLOCK_FILE);
        let block: Block<Transaction> = read_block(&block_path)?;
        let prestate_path = dir.join(PRESTATE_FILE);
        let raw: BTreeMap<Address, RawAccount> = read_json(&prestate_path)?;
        let prestate = PreState {
            accounts: raw
                .into_iter()
                .map(|(address, a)| (address, a.into()))
                .collect(),
        };
        let mut block_hashes = BTreeMap::new();
        let hashes_path = dir.join(BLOCK_HASHES_FILE);
        if hashes_path.exists() {
            let raw: BTreeMap<String, B256> = read_json(&hashes_path)?;
            for (number, hash) in raw {
                let n = parse_block_number(&number).ok_or_else(|| InputError::Invalid {
                    path: hashes_path.clone(),
                    message: format!("`{number}` is not a block number"),
                })?;
                block_hashes.insert(n, hash);
            }
        }
        let number = block.header.number;
        if let Some(parent) = number.checked_sub(1) {
            block_hashes.insert(parent, block.header.parent_hash);
        }
        if block.transactions.is_empty() && !block.header.transactions_root.is_zero() {
            // An empty transaction list is fine; hashes-only blocks are not.
        }
        if block.transactions.as_transactions().is_none() {
            return Err(InputError::Invalid {
                path: block_path,
                message: "transactions must be full objects (eth_getBlockByNumber(N, true))".into(),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            block,
            prestate,
            block_hashes,
        })
    }

    /// The block number.
    pub fn number(&self) -> u64 {
        self.block.header.number
    }

    /// The block's transactions in order.
    pub fn transactions(&self) -> &[Transaction] {
        self.block
            .transactions
            .as_transactions()
            .unwrap_or_default()
    }
}

impl fmt::Display for BlockInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block {} ({})", self.number(), self.dir.display())
    }
}

fn parse_block_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Reads `block.json`. The transaction list is an untagged enum (hashes or objects), so a bad
/// transaction only shows up as "did not match any variant" at `transactions`: on such an error,
/// find the first transaction that does not parse and name its index and field.
fn read_block(path: &Path) -> Result<Block<Transaction>, InputError> {
    let err = match read_json(path) {
        Ok(block) => return Ok(block),
        Err(err) => err,
    };
    let InputError::Json { field, .. } = &err else {
        return Err(err);
    };
    if !field.starts_with("transactions") {
        return Err(err);
    }
    let Some(text) = std::fs::read(path).ok() else {
        return Err(err);
    };
    let Ok(serde_json::Value::Object(mut block)) = serde_json::from_slice(&text) else {
        return Err(err);
    };
    let Some(serde_json::Value::Array(txs)) = block.remove("transactions") else {
        return Err(err);
    };
    for (index, tx) in txs.into_iter().enumerate() {
        if tx.is_string() {
            continue;
        }
        let ty = tx.get("type").and_then(|t| t.as_str()).map(str::to_owned);
        if let Err(e) = serde_path_to_error::deserialize::<_, Transaction>(tx) {
            let inner = e.path().to_string();
            let mut message = e.into_inner().to_string();
            if let Some(ty) = ty.filter(|t| !KNOWN_TX_TYPES.contains(&t.as_str())) {
                message = format!("unknown transaction type {ty} ({message})");
            }
            return Err(InputError::Json {
                path: path.to_path_buf(),
                field: if inner == "." {
                    format!("transactions[{index}]")
                } else {
                    format!("transactions[{index}].{inner}")
                },
                message,
            });
        }
    }
    Err(err)
}

/// The EIP-2718 types alloy's Ethereum transaction envelope knows.
const KNOWN_TX_TYPES: [&str; 10] = [
    "0x0", "0x1", "0x2", "0x3", "0x4", "0x00", "0x01", "0x02", "0x03", "0x04",
];

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, InputError> {
    let text = std::fs::read(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let de = &mut serde_json::Deserializer::from_slice(&text);
    serde_path_to_error::deserialize(de).map_err(|e| InputError::Json {
        path: path.to_path_buf(),
        field: e.path().to_string(),
        message: e.into_inner().to_string(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    #[serde(default)]
    balance: U256,
    #[serde(default)]
    nonce: Nonce,
    #[serde(default)]
    code: Bytes,
    #[serde(default)]
    storage: BTreeMap<U256, U256>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Nonce {
    #[default]
    Zero,
    Number(u64),
    Hex(alloy_primitives::U64),
}

impl From<RawAccount> for PreAccount {
    fn from(raw: RawAccount) -> Self {
        let nonce = match raw.nonce {
            Nonce::Zero => 0,
            Nonce::Number(n) => n,
            Nonce::Hex(n) => n.to(),
        };
        Self {
            balance: raw.balance,
            nonce,
            code: raw.code,
            storage: raw.storage,
        }
    }
}
