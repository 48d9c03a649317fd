//! The block environment the EVM's block opcodes read.

use crate::BlockInput;
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::Header;
use revm::primitives::hardfork::SpecId;
use std::collections::BTreeMap;

/// Mainnet's chain id.
pub const MAINNET_CHAIN_ID: u64 = 1;

/// What a transaction can see of its block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockEnv {
    /// Block number.
    pub number: u64,
    /// Timestamp in seconds.
    pub timestamp: u64,
    /// The fee recipient (COINBASE).
    pub beneficiary: Address,
    /// EIP-1559 base fee (BASEFEE), if the block has one.
    pub base_fee: Option<u64>,
    /// DIFFICULTY before the merge, PREVRANDAO after it.
    pub prevrandao: U256,
    /// Block gas limit.
    pub gas_limit: u64,
    /// CHAINID.
    pub chain_id: u64,
    /// EIP-4844 blob base fee (BLOBBASEFEE), if the block has one.
    pub blob_base_fee: Option<u128>,
    /// Hashes for BLOCKHASH by block number.
    pub block_hashes: BTreeMap<u64, B256>,
    /// The hard fork in force (decides which precompiles exist and what SELFDESTRUCT does).
    pub spec: SpecId,
}

/// The mainnet hard fork of a block.
pub fn mainnet_spec(number: u64, timestamp: u64) -> SpecId {
    const BY_TIME: [(u64, SpecId); 3] = [
        (1_746_612_311, SpecId::PRAGUE),
        (1_710_338_135, SpecId::CANCUN),
        (1_681_338_455, SpecId::SHANGHAI),
    ];
    const BY_NUMBER: [(u64, SpecId); 9] = [
        (15_537_394, SpecId::MERGE),
        (12_965_000, SpecId::LONDON),
        (12_244_000, SpecId::BERLIN),
        (9_069_000, SpecId::ISTANBUL),
        (7_280_000, SpecId::PETERSBURG),
        (4_370_000, SpecId::BYZANTIUM),
        (2_675_000, SpecId::SPURIOUS_DRAGON),
        (2_463_000, SpecId::TANGERINE),
        (1_150_000, SpecId::HOMESTEAD),
    ];
    if number >= 15_537_394
        && let Some((_, spec)) = BY_TIME.iter().find(|(t, _)| timestamp >= *t)
    {
        return *spec;
    }
    BY_NUMBER
        .iter()
        .find(|(n, _)| number >= *n)
        .map_or(SpecId::FRONTIER, |(_, spec)| *spec)
}

/// The newest fork a header's shape proves, for chains whose schedule is unknown (a local
/// devnet's blocks carry every field of the forks it runs).
pub fn spec_from_shape(header: &Header) -> SpecId {
    if header.requests_hash.is_some() {
        SpecId::PRAGUE
    } else if header.parent_beacon_block_root.is_some() || header.excess_blob_gas.is_some() {
        SpecId::CANCUN
    } else if header.withdrawals_root.is_some() {
        SpecId::SHANGHAI
    } else if header.base_fee_per_gas.is_some() && header.difficulty.is_zero() {
        SpecId::MERGE
    } else if header.base_fee_per_gas.is_some() {
        SpecId::LONDON
    } else {
        SpecId::BERLIN
    }
}

impl BlockEnv {
    /// The environment of a block: chain id from its transactions (mainnet when none says),
    /// the fork from mainnet's schedule on mainnet and from the header's shape elsewhere.
    pub fn from_input(input: &BlockInput) -> Self {
        use alloy_consensus::Transaction as _;
        let chain_id = input
            .transactions()
            .iter()
            .find_map(|tx| tx.inner.chain_id())
            .unwrap_or(MAINNET_CHAIN_ID);
        let header = &input.block.header;
        let mut env = Self::from_header(header, &input.block_hashes);
        if chain_id != MAINNET_CHAIN_ID {
            env.chain_id = chain_id;
            env.spec = spec_from_shape(header);
        }
        env
    }

    /// The environment of a mainnet block, from its header and the known block hashes.
    pub fn from_header(header: &Header, block_hashes: &BTreeMap<u64, B256>) -> Self {
        let prevrandao = if header.difficulty.is_zero() {
            U256::from_be_bytes(header.mix_hash.0)
        } else {
            header.difficulty
        };
        Self {
            number: header.number,
            timestamp: header.timestamp,
            beneficiary: header.beneficiary,
            base_fee: header.base_fee_per_gas,
            prevrandao,
            gas_limit: header.gas_limit,
            chain_id: MAINNET_CHAIN_ID,
            blob_base_fee: header
                .excess_blob_gas
                .map(alloy_eips::eip4844::calc_blob_gasprice),
            block_hashes: block_hashes.clone(),
            spec: mainnet_spec(header.number, header.timestamp),
        }
    }

    /// The hash BLOCKHASH returns for `number`, if it is known and in range.
    pub fn block_hash(&self, number: U256) -> Option<B256> {
        let n: u64 = number.try_into().ok()?;
        if n >= self.number || self.number - n > 256 {
            return Some(B256::ZERO);
        }
        self.block_hashes.get(&n).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(edit: impl FnOnce(&mut alloy_consensus::Header)) -> Header {
        let mut inner = alloy_consensus::Header {
            difficulty: U256::from(1),
            ..Default::default()
        };
        edit(&mut inner);
        Header::new(inner)
    }

    #[test]
    fn a_devnet_header_shows_its_fork() {
        type Edit = fn(&mut alloy_consensus::Header);
        let cases: [(Edit, SpecId); 6] = [
            (|_| {}, SpecId::BERLIN),
            (|h| h.base_fee_per_gas = Some(7), SpecId::LONDON),
            (
                |h| {
                    h.base_fee_per_gas = Some(7);
                    h.difficulty = U256::ZERO;
                },
                SpecId::MERGE,
            ),
            (|h| h.withdrawals_root = Some(B256::ZERO), SpecId::SHANGHAI),
            (
                |h| h.parent_beacon_block_root = Some(B256::ZERO),
                SpecId::CANCUN,
            ),
            (|h| h.requests_hash = Some(B256::ZERO), SpecId::PRAGUE),
        ];
        for (edit, spec) in cases {
            assert_eq!(spec_from_shape(&header(edit)), spec);
        }
    }

    #[test]
    fn mainnet_blocks_follow_mainnet_schedule() {
        assert_eq!(mainnet_spec(4_369_999, 0), SpecId::SPURIOUS_DRAGON);
        assert_eq!(mainnet_spec(4_370_000, 0), SpecId::BYZANTIUM);
        assert_eq!(mainnet_spec(19_426_587, 1_710_338_135), SpecId::CANCUN);
    }
}
