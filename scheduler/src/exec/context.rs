//! Everything needed to execute a block's transactions, one at a time, on any database.

use super::env::{PreparedTx, evm_env, prepare_txs};
use super::error::ExecError;
use super::receipts::TxReceipt;
use super::spec::ChainRules;
use alloy_consensus::BlockHeader;
use alloy_eips::eip4895::Withdrawal;
use alloy_eips::{eip2935, eip4788, eip7002, eip7251};
use alloy_evm::block::{SystemCaller, calc, state_changes};
use alloy_evm::eth::{EthEvm, EthEvmBuilder, EthEvmContext};
use alloy_evm::precompiles::PrecompilesMap;
use alloy_evm::{Evm, EvmEnv, EvmFactory, eth::EthEvmFactory};
use alloy_hardforks::{EthereumHardfork, EthereumHardforks};
use alloy_primitives::{Address, B256, map::AddressMap};
use lanes_analyzer::BlockInput;
use revm::context_interface::result::{ExecutionResult, ResultAndState};
use revm::database::DatabaseCommitExt;
use revm::primitives::KECCAK_EMPTY;
use revm::primitives::hardfork::SpecId;
use revm::{DatabaseCommit, Inspector};

/// A block prepared for execution: its rules, revm environment and converted transactions.
///
/// It holds no state, so it is `Sync`: parallel workers share one context and execute single
/// transactions with [`BlockContext::transact`] against their own databases.
#[derive(Clone, Debug)]
pub struct BlockContext {
    /// Block number.
    pub number: u64,
    /// Chain id and hardforks.
    pub rules: ChainRules,
    /// revm's configuration and block environment.
    pub evm_env: EvmEnv,
    /// The transactions, in block order.
    pub txs: Vec<PreparedTx>,
    parent_hash: B256,
    parent_beacon_block_root: Option<B256>,
    withdrawals: Vec<Withdrawal>,
    ommer_count: usize,
}

impl BlockContext {
    /// Prepares a block with the rules of [`ChainRules::for_block`].
    pub fn new(input: &BlockInput) -> Result<Self, ExecError> {
        Self::with_fork(input, None)
    }

    /// Prepares a block, forcing every fork up to `fork` when given.
    pub fn with_fork(
        input: &BlockInput,
        fork: Option<EthereumHardfork>,
    ) -> Result<Self, ExecError> {
        let rules = ChainRules::for_block(input, fork);
        let evm_env = evm_env(input, &rules);
        let header = &input.block.header;
        Ok(Self {
            number: header.number(),
            evm_env,
            txs: prepare_txs(input),
            parent_hash: header.parent_hash(),
            parent_beacon_block_root: header.parent_beacon_block_root(),
            withdrawals: input
                .block
                .withdrawals
                .as_ref()
                .map(|w| w.to_vec())
                .unwrap_or_default(),
            ommer_count: input.block.uncles.len(),
            rules,
        })
    }

    /// The revm spec of the block.
    pub fn spec(&self) -> SpecId {
        self.rules.spec
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// True for a block without transactions.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// The block's gas limit.
    pub fn gas_limit(&self) -> u64 {
        self.evm_env.block_env.gas_limit
    }

    /// Transaction `index`, or an error naming the block.
    pub fn tx(&self, index: usize) -> Result<&PreparedTx, ExecError> {
        self.txs.get(index).ok_or(ExecError::NoSuchTx {
            block: self.number,
            index,
            count: self.txs.len(),
        })
    }

    /// Executes transaction `index` on `db` with `inspector`, without committing.
    ///
    /// Pass `&mut db` / `&mut inspector` to keep ownership; any `revm::Database` works (wrap a
    /// `DatabaseRef` in `revm::database_interface::WrapDatabaseRef`).
    pub fn transact<DB, I>(
        &self,
        index: usize,
        db: DB,
        inspector: I,
    ) -> Result<ResultAndState, ExecError>
    where
        DB: alloy_evm::Database,
        I: Inspector<EthEvmContext<DB>>,
    {
        let tx = self.tx(index)?;
        let mut evm =
            EthEvmFactory::default().create_evm_with_inspector(db, self.evm_env.clone(), inspector);
        evm.transact_raw(tx.env.clone())
            .map_err(|e| ExecError::from_evm(self.number, index, tx.hash, e))
    }

    /// A reusable inspecting EVM for this block over `db` (building one allocates its frame
    /// stack, so executors that run many transactions keep one per thread).
    pub fn evm<DB, I>(&self, db: DB, inspector: I) -> EthEvm<DB, I, PrecompilesMap>
    where
        DB: alloy_evm::Database,
        I: Inspector<EthEvmContext<DB>>,
    {
        EthEvmBuilder::new(db, self.evm_env.clone())
            .activate_inspector(inspector)
            .build()
    }

    /// Executes transaction `index` in `evm` (from [`Self::evm`]), without committing.
    pub fn transact_in<DB, I>(
        &self,
        index: usize,
        evm: &mut EthEvm<DB, I, PrecompilesMap>,
    ) -> Result<ResultAndState, ExecError>
    where
        DB: alloy_evm::Database,
        I: Inspector<EthEvmContext<DB>>,
    {
        let tx = self.tx(index)?;
        evm.transact_raw(tx.env.clone())
            .map_err(|e| ExecError::from_evm(self.number, index, tx.hash, e))
    }

    /// Executes transaction `index` on `db` without an inspector, without committing.
    pub fn transact_plain<DB: alloy_evm::Database>(
        &self,
        index: usize,
        db: DB,
    ) -> Result<ResultAndState, ExecError> {
        let tx = self.tx(index)?;
        let mut evm = EthEvmFactory::default().create_evm(db, self.evm_env.clone());
        evm.transact_raw(tx.env.clone())
            .map_err(|e| ExecError::from_evm(self.number, index, tx.hash, e))
    }

    /// Fails when transaction `index` does not fit into the gas the block has left after
    /// `gas_used_before`.
    pub fn check_block_gas(&self, index: usize, gas_used_before: u64) -> Result<(), ExecError> {
        let tx = self.tx(index)?;
        let available = self.gas_limit().saturating_sub(gas_used_before);
        if tx.env.gas_limit > available {
            return Err(ExecError::BlockGas {
                block: self.number,
                index,
                hash: tx.hash,
                gas_limit: tx.env.gas_limit,
                available,
            });
        }
        Ok(())
    }

    /// The receipt of transaction `index` given its result and the block's cumulative gas
    /// including it.
    pub fn receipt<H>(
        &self,
        index: usize,
        result: &ExecutionResult<H>,
        cumulative_gas_used: u64,
    ) -> TxReceipt {
        let tx_type = self.txs.get(index).map_or(0, |t| t.tx_type);
        TxReceipt::new(tx_type, result, cumulative_gas_used)
    }

    /// Runs the pre-block system calls (EIP-2935 block hashes from Prague, EIP-4788 beacon roots
    /// from Cancun) and commits them. A system contract without code in `db` is skipped: block
    /// pre-states list only what transactions touch, so the contract is often absent, and a call
    /// to an empty account changes nothing a transaction could see.
    pub fn pre_block<DB>(&self, db: &mut DB) -> Result<(), ExecError>
    where
        DB: alloy_evm::Database + DatabaseCommit,
    {
        let has_history = self.has_code(db, eip2935::HISTORY_STORAGE_ADDRESS)?;
        let has_beacon = self.has_code(db, eip4788::BEACON_ROOTS_ADDRESS)?;
        if !has_history && !has_beacon {
            return Ok(());
        }
        let mut evm = EthEvmFactory::default().create_evm(&mut *db, self.evm_env.clone());
        let mut caller = SystemCaller::new(&self.rules.hardforks);
        if has_history {
            caller
                .apply_blockhashes_contract_call(self.parent_hash, &mut evm)
                .map_err(|e| self.block_error("EIP-2935 system call", &e))?;
        }
        if has_beacon {
            caller
                .apply_beacon_root_contract_call(self.parent_beacon_block_root, &mut evm)
                .map_err(|e| self.block_error("EIP-4788 system call", &e))?;
        }
        Ok(())
    }

    /// Applies the post-block changes and commits them: the EIP-7002 and EIP-7251 system calls
    /// from Prague (when their contracts have code), then [`Self::balance_increments`].
    pub fn post_block<DB>(&self, db: &mut DB) -> Result<(), ExecError>
    where
        DB: alloy_evm::Database + DatabaseCommit,
    {
        let timestamp = self.evm_env.block_env.timestamp.saturating_to();
        if self
            .rules
            .hardforks
            .is_prague_active_at_timestamp(timestamp)
        {
            let has_withdrawals =
                self.has_code(db, eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS)?;
            let has_consolidations =
                self.has_code(db, eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS)?;
            let mut evm = EthEvmFactory::default().create_evm(&mut *db, self.evm_env.clone());
            let mut caller = SystemCaller::new(&self.rules.hardforks);
            if has_withdrawals {
                caller
                    .apply_withdrawal_requests_contract_call(&mut evm)
                    .map_err(|e| self.block_error("EIP-7002 system call", &e))?;
            }
            if has_consolidations {
                caller
                    .apply_consolidation_requests_contract_call(&mut evm)
                    .map_err(|e| self.block_error("EIP-7251 system call", &e))?;
            }
        }
        let increments = self.balance_increments();
        if !increments.is_empty() {
            db.increment_balances(increments)
                .map_err(|e| self.block_error("rewards and withdrawals", &e))?;
        }
        Ok(())
    }

    /// Post-block balance credits: the block reward to the beneficiary (with the 1/32 bonus per
    /// included ommer) before the Merge, and withdrawals from Shanghai. Ommer beneficiaries'
    /// own rewards are not included: the RPC block lists ommers by hash only. The DAO fork's
    /// irregular transfer (block 1,920,000) is not applied.
    pub fn balance_increments(&self) -> AddressMap<u128> {
        let mut increments = AddressMap::default();
        if let Some(base) = calc::base_block_reward(&self.rules.hardforks, self.number) {
            *increments.entry(self.beneficiary()).or_default() +=
                calc::block_reward(base, self.ommer_count);
        }
        let timestamp = self.evm_env.block_env.timestamp.saturating_to();
        state_changes::insert_post_block_withdrawals_balance_increments(
            &self.rules.hardforks,
            timestamp,
            Some(&self.withdrawals),
            &mut increments,
        );
        increments
    }

    /// The block's beneficiary (coinbase).
    pub fn beneficiary(&self) -> Address {
        self.evm_env.block_env.beneficiary
    }

    fn has_code<DB: alloy_evm::Database>(
        &self,
        db: &mut DB,
        address: Address,
    ) -> Result<bool, ExecError> {
        let info = db
            .basic(address)
            .map_err(|e| self.block_error("system contract lookup", &e))?;
        Ok(info.is_some_and(|i| i.code_hash != KECCAK_EMPTY && !i.code_hash.is_zero()))
    }

    fn block_error(&self, step: &'static str, err: &dyn std::fmt::Display) -> ExecError {
        ExecError::Block {
            block: self.number,
            step,
            message: err.to_string(),
        }
    }
}
