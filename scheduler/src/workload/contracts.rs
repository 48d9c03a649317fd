//! The project's own contracts (`corpus/build/`) and their storage layouts
//! (`corpus/contracts/ERC20.sol`, `AMM.sol`).

use super::WorkloadError;
use alloy_evm::{Evm, EvmEnv, EvmFactory, eth::EthEvmFactory};
use alloy_primitives::{Address, Bytes, TxKind, U256, keccak256};
use revm::context::TxEnv;
use revm::context_interface::result::{ExecutionResult, Output};
use revm::database::{CacheDB, EmptyDB};

const TOKEN_JSON: &str = include_str!("../../../corpus/build/Token.json");
const PAIR_JSON: &str = include_str!("../../../corpus/build/Pair.json");
const ROUTER_JSON: &str = include_str!("../../../corpus/build/Router.json");

/// `ERC20Base.balanceOf`: `mapping(address => uint256)` at slot 0.
pub(super) const TOKEN_BALANCES: u64 = 0;
/// `ERC20Base.allowance`: `mapping(address => mapping(address => uint256))` at slot 1.
pub(super) const TOKEN_ALLOWANCES: u64 = 1;
/// `ERC20Base.totalSupply` at slot 2.
pub(super) const TOKEN_SUPPLY: u64 = 2;
/// `Token._name` (slot 3), `Token._symbol` (slot 4), `Token.owner` (slot 5).
pub(super) const TOKEN_NAME: u64 = 3;
pub(super) const TOKEN_SYMBOL: u64 = 4;
pub(super) const TOKEN_OWNER: u64 = 5;
/// `Pair`: `reserve0 | reserve1 << 112 | lastUpdate << 224` packed in slot 0 (token0 and
/// token1 are immutables in the code), `totalShares` slot 1, `shares` mapping slot 2,
/// `unlocked` slot 3 (must be 1 or every call reverts with "locked").
pub(super) const PAIR_RESERVES: u64 = 0;
pub(super) const PAIR_TOTAL_SHARES: u64 = 1;
pub(super) const PAIR_UNLOCKED: u64 = 3;

/// Runtime code of `Token` and `Router` (neither has immutables).
#[derive(Debug)]
pub(super) struct Artifacts {
    pub(super) token: Bytes,
    pub(super) router: Bytes,
    pair_creation: Bytes,
}

impl Artifacts {
    /// Parses the build artifacts compiled into the binary.
    pub(super) fn load() -> Result<Self, WorkloadError> {
        Ok(Self {
            token: field(TOKEN_JSON, "Token", "deployedBytecode")?,
            router: field(ROUTER_JSON, "Router", "deployedBytecode")?,
            pair_creation: field(PAIR_JSON, "Pair", "bytecode")?,
        })
    }

    /// The runtime code of a `Pair` of `a` and `b`: its constructor sorts them and writes them
    /// into immutables, so the code differs per token pair and comes from running the
    /// constructor.
    pub(super) fn pair_code(&self, a: Address, b: Address) -> Result<Bytes, WorkloadError> {
        let mut data = self.pair_creation.to_vec();
        data.extend_from_slice(&word_of(a));
        data.extend_from_slice(&word_of(b));
        let tx = TxEnv::builder()
            .caller(Address::repeat_byte(0xde))
            .kind(TxKind::Create)
            .data(data.into())
            .gas_limit(10_000_000)
            .build()
            .map_err(|e| WorkloadError::Deploy(format!("{e:?}")))?;
        let mut evm =
            EthEvmFactory::default().create_evm(CacheDB::new(EmptyDB::new()), EvmEnv::default());
        let result = evm
            .transact_raw(tx)
            .map_err(|e| WorkloadError::Deploy(e.to_string()))?;
        match result.result {
            ExecutionResult::Success {
                output: Output::Create(code, _),
                ..
            } => Ok(code),
            other => Err(WorkloadError::Deploy(format!(
                "Pair constructor: {other:?}"
            ))),
        }
    }
}

fn field(json: &str, contract: &'static str, key: &str) -> Result<Bytes, WorkloadError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| WorkloadError::Artifact(contract, e.to_string()))?;
    let hex = value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| WorkloadError::Artifact(contract, format!("no `{key}`")))?;
    hex.parse()
        .map_err(|e: alloy_primitives::hex::FromHexError| {
            WorkloadError::Artifact(contract, e.to_string())
        })
}

/// An address as a 32-byte ABI word.
pub(super) fn word_of(address: Address) -> [u8; 32] {
    address.into_word().0
}

/// The slot of `mapping[key]` for a mapping at `base`: `keccak256(key . base)`.
pub(super) fn mapping_slot(key: Address, base: U256) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(&word_of(key));
    preimage[32..].copy_from_slice(&base.to_be_bytes::<32>());
    keccak256(preimage).into()
}

/// The slot of `allowance[owner][spender]`.
pub(super) fn allowance_slot(owner: Address, spender: Address) -> U256 {
    mapping_slot(spender, mapping_slot(owner, U256::from(TOKEN_ALLOWANCES)))
}

/// A Solidity `string` of at most 31 bytes as stored in its slot: the bytes left-aligned, the
/// length times two in the last byte.
pub(super) fn short_string(s: &str) -> U256 {
    let bytes = s.as_bytes();
    let len = bytes.len().min(31);
    let mut word = [0u8; 32];
    word[..len].copy_from_slice(&bytes[..len]);
    word[31] = (len * 2) as u8;
    U256::from_be_bytes(word)
}

/// `Pair`'s slot 0 with both reserves and `lastUpdate`.
pub(super) fn packed_reserves(reserve0: U256, reserve1: U256, last_update: u32) -> U256 {
    reserve0 | (reserve1 << 112) | (U256::from(last_update) << 224)
}

/// The first four bytes of `keccak256(signature)`.
pub(super) fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}
