//! Which chain and which hardfork rules apply to a block.

use alloy_consensus::BlockHeader;
use alloy_eips::eip7840::BlobParams;
use alloy_hardforks::{EthereumChainHardforks, EthereumHardfork, EthereumHardforks};
use lanes_analyzer::BlockInput;
use revm::primitives::hardfork::SpecId;

/// Ethereum mainnet's chain id.
pub const MAINNET_CHAIN_ID: u64 = 1;

/// The chain and hardfork rules a block executes under.
///
/// - **Chain id**: the chain id of the block's first transaction that carries one (EIP-155 and
///   typed transactions); 1 (mainnet) when none does.
/// - **Hardforks on mainnet** (chain id 1): the mainnet schedule by block number and timestamp
///   (alloy-hardforks), as every client does.
/// - **Hardforks on other chains** (e.g. anvil, chain id 31337, block numbers near 0 with current
///   timestamps): the mainnet schedule would be wrong, so every fork up to the newest one the
///   header's shape proves is active from genesis: `requestsHash` -> Prague,
///   `parentBeaconBlockRoot` or blob gas fields -> Cancun, `withdrawalsRoot` -> Shanghai, a base
///   fee with zero difficulty -> Paris (the Merge), a base fee -> London, no base fee -> Berlin.
///   Forks that do not change the header (Osaka after Prague, Istanbul before Berlin) cannot be
///   seen: name them with an explicit fork (`lanes verify --spec osaka`).
/// - **Explicit fork**: every fork up to the named one is active from genesis, on any chain.
#[derive(Clone, Debug)]
pub struct ChainRules {
    /// The chain id used for EIP-155 and typed transactions.
    pub chain_id: u64,
    /// Fork activations (for `SystemCaller`, rewards and blob parameters).
    pub hardforks: EthereumChainHardforks,
    /// The revm spec of this block.
    pub spec: SpecId,
}

impl ChainRules {
    /// The rules for a block, optionally forcing every fork up to `fork`.
    pub fn for_block(input: &BlockInput, fork: Option<EthereumHardfork>) -> Self {
        let chain_id = chain_id(input);
        let hardforks = match fork {
            Some(fork) => up_to(fork),
            None if chain_id == MAINNET_CHAIN_ID => EthereumChainHardforks::mainnet(),
            None => up_to(fork_from_shape(input)),
        };
        let header = &input.block.header;
        let spec = alloy_evm::spec_by_timestamp_and_block_number(
            &hardforks,
            header.timestamp(),
            header.number(),
        );
        Self {
            chain_id,
            hardforks,
            spec,
        }
    }

    /// Blob fee parameters at the block's timestamp (`None` before Cancun).
    pub fn blob_params(&self, timestamp: u64) -> Option<BlobParams> {
        let forks = &self.hardforks;
        if forks.is_bpo2_active_at_timestamp(timestamp) {
            Some(BlobParams::bpo2())
        } else if forks.is_bpo1_active_at_timestamp(timestamp) {
            Some(BlobParams::bpo1())
        } else if forks.is_osaka_active_at_timestamp(timestamp) {
            Some(BlobParams::osaka())
        } else if forks.is_prague_active_at_timestamp(timestamp) {
            Some(BlobParams::prague())
        } else if forks.is_cancun_active_at_timestamp(timestamp) {
            Some(BlobParams::cancun())
        } else {
            None
        }
    }
}

/// The chain id of the block's transactions (1 when none carries one).
pub fn chain_id(input: &BlockInput) -> u64 {
    use alloy_consensus::Transaction as _;
    input
        .transactions()
        .iter()
        .find_map(|tx| tx.inner.chain_id())
        .unwrap_or(MAINNET_CHAIN_ID)
}

/// The newest fork the header's shape proves (see [`ChainRules`]).
pub fn fork_from_shape(input: &BlockInput) -> EthereumHardfork {
    let header = &input.block.header;
    if header.requests_hash().is_some() {
        EthereumHardfork::Prague
    } else if header.parent_beacon_block_root().is_some() || header.excess_blob_gas().is_some() {
        EthereumHardfork::Cancun
    } else if header.withdrawals_root().is_some() {
        EthereumHardfork::Shanghai
    } else if header.base_fee_per_gas().is_some() && header.difficulty().is_zero() {
        EthereumHardfork::Paris
    } else if header.base_fee_per_gas().is_some() {
        EthereumHardfork::London
    } else {
        EthereumHardfork::Berlin
    }
}

/// Every fork up to and including `last`, active from genesis.
pub fn up_to(last: EthereumHardfork) -> EthereumChainHardforks {
    EthereumChainHardforks::new(
        EthereumHardfork::devnet()
            .into_iter()
            .filter(|(fork, _)| *fork <= last),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_stops_at_the_named_fork() {
        let forks = up_to(EthereumHardfork::London);
        assert!(forks.is_london_active_at_block(0));
        assert!(!forks.is_paris_active_at_block(0));
        let spec = alloy_evm::spec_by_timestamp_and_block_number(&forks, 1_700_000_000, 3);
        assert_eq!(spec, SpecId::LONDON);
        let spec = alloy_evm::spec_by_timestamp_and_block_number(
            &up_to(EthereumHardfork::Prague),
            1_700_000_000,
            3,
        );
        assert_eq!(spec, SpecId::PRAGUE);
    }
}
