//! One block directory: the block, its merged pre-state, and the hashes its BLOCKHASH calls need.

use super::BlockTag;
use super::block_hashes;
use super::node::{self, Node, NodeError};
use super::prestate::{self, Account, PreState, TxPrestate};
use alloy_primitives::{Address, B256, Bytes, U256};
use anyhow::{Context, anyhow, bail};
use lanes_analyzer::input::{BLOCK_FILE, BLOCK_HASHES_FILE, PRESTATE_FILE};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The fields of `block.json` that fetching needs; the file itself is written as the node sent it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockFields {
    number: U256,
    miner: Address,
    #[serde(default)]
    transactions: Vec<TxFields>,
    #[serde(default)]
    withdrawals: Option<Vec<WithdrawalFields>>,
    #[serde(default)]
    uncles: Vec<B256>,
}

#[derive(Debug, Deserialize)]
struct UncleFields {
    miner: Address,
}

#[derive(Debug, Deserialize)]
struct TxFields {
    hash: B256,
}

#[derive(Debug, Deserialize)]
struct WithdrawalFields {
    address: Address,
}

/// One entry of `debug_traceBlockByNumber`'s answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockTraceEntry {
    #[serde(default)]
    tx_hash: Option<B256>,
    #[serde(default)]
    result: Option<TxPrestate>,
    #[serde(default)]
    error: Option<String>,
}

/// Fetches block `tag` into `out/<number>/` and returns that directory.
pub(crate) async fn fetch(node: &Node, tag: BlockTag, out: &Path) -> anyhow::Result<PathBuf> {
    let raw = node
        .raw("eth_getBlockByNumber", (tag.param(), true))
        .await
        .with_context(|| format!("block {tag}"))?;
    if raw.get() == "null" {
        let head: U256 = node.call("eth_blockNumber", ()).await?;
        bail!(
            "block {tag} does not exist on {} (its head is {head})",
            node.url()
        );
    }
    let fields: BlockFields = serde_json::from_str(raw.get())
        .with_context(|| format!("block {tag}: unexpected eth_getBlockByNumber answer"))?;
    let number = u64::try_from(fields.number).context("block number does not fit 64 bits")?;
    let prestate = pre_state(node, number, &fields)
        .await
        .with_context(|| format!("block {number}: pre-state"))?;

    let dir = out.join(number.to_string());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write(&dir.join(BLOCK_FILE), raw.get())?;
    write(&dir.join(PRESTATE_FILE), &serde_json::to_string(&prestate)?)?;
    let hashes_path = dir.join(BLOCK_HASHES_FILE);
    if hashes_path.exists() {
        std::fs::remove_file(&hashes_path)
            .with_context(|| format!("cannot remove stale {}", hashes_path.display()))?;
    }
    block_hashes::complete(node, &dir)
        .await
        .with_context(|| format!("block {number}: BLOCKHASH lookups"))?;
    Ok(dir)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, format!("{text}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The state before block `number`: traced per transaction and merged, plus the accounts the
/// block credits outside its transactions, which the tracer does not see.
async fn pre_state(node: &Node, number: u64, block: &BlockFields) -> anyhow::Result<PreState> {
    let traces = if block.transactions.is_empty() {
        Vec::new()
    } else {
        trace_transactions(node, number, block).await?
    };
    let mut state = prestate::merge(traces).map_err(|e| anyhow!(e))?;
    let Some(parent) = number.checked_sub(1) else {
        return Ok(state);
    };
    // Accounts the block credits outside its transactions: the beneficiary, withdrawal
    // recipients and (before the Merge) the ommers' beneficiaries.
    let mut extra = vec![block.miner];
    extra.extend(block.withdrawals.iter().flatten().map(|w| w.address));
    for index in 0..block.uncles.len() {
        let uncle: UncleFields = node
            .call(
                "eth_getUncleByBlockNumberAndIndex",
                (format!("{number:#x}"), format!("{index:#x}")),
            )
            .await?;
        extra.push(uncle.miner);
    }
    for address in extra {
        if let std::collections::btree_map::Entry::Vacant(slot) = state.entry(address) {
            slot.insert(account_at(node, address, parent).await?);
        }
    }
    Ok(state)
}

/// Per-transaction prestate traces in block order: one `debug_traceBlockByNumber`, or one
/// `debug_traceTransaction` per transaction on nodes that lack the former.
async fn trace_transactions(
    node: &Node,
    number: u64,
    block: &BlockFields,
) -> anyhow::Result<Vec<TxPrestate>> {
    let tracer = json!({ "tracer": "prestateTracer" });
    let answer: Result<Vec<BlockTraceEntry>, NodeError> = node
        .call(
            "debug_traceBlockByNumber",
            (format!("{number:#x}"), tracer.clone()),
        )
        .await;
    match answer {
        Ok(entries) => {
            if entries.len() != block.transactions.len() {
                bail!(
                    "debug_traceBlockByNumber returned {} traces for {} transactions",
                    entries.len(),
                    block.transactions.len()
                );
            }
            entries
                .into_iter()
                .zip(&block.transactions)
                .enumerate()
                .map(|(index, (entry, tx))| {
                    if let Some(hash) = entry.tx_hash
                        && hash != tx.hash
                    {
                        bail!(
                            "trace {index} is for {hash}, the block's transaction {index} is {}",
                            tx.hash
                        );
                    }
                    match (entry.result, entry.error) {
                        (Some(result), None) => Ok(result),
                        (_, Some(message)) if node::looks_pruned(&message) => {
                            Err(NodeError::Pruned {
                                method: "debug_traceBlockByNumber".to_owned(),
                                message: format!("transaction {index}: {message}"),
                            }
                            .into())
                        }
                        (_, Some(error)) => {
                            bail!("the node could not trace transaction {index}: {error}")
                        }
                        (None, None) => bail!("trace {index} has neither a result nor an error"),
                    }
                })
                .collect()
        }
        Err(NodeError::MethodNotFound { message: first, .. }) => {
            let mut traces = Vec::with_capacity(block.transactions.len());
            for tx in &block.transactions {
                let trace = node
                    .call("debug_traceTransaction", (tx.hash, tracer.clone()))
                    .await
                    .map_err(|err| match err {
                        NodeError::MethodNotFound { message, .. } => anyhow!(
                            "{} has no debug API: debug_traceBlockByNumber ({first}) and \
                             debug_traceTransaction ({message}) are not available; lanes fetch \
                             needs a node that serves the `debug` namespace with geth's \
                             prestateTracer (e.g. geth --http.api eth,debug, reth, erigon, anvil)",
                            node.url()
                        ),
                        other => anyhow!(other),
                    })?;
                traces.push(trace);
            }
            Ok(traces)
        }
        Err(other) => Err(other.into()),
    }
}

/// An account as it was at the end of block `at`.
async fn account_at(node: &Node, address: Address, at: u64) -> anyhow::Result<Account> {
    let tag = format!("{at:#x}");
    let balance: U256 = node.call("eth_getBalance", (address, tag.clone())).await?;
    let nonce: U256 = node
        .call("eth_getTransactionCount", (address, tag.clone()))
        .await?;
    let code: Bytes = node.call("eth_getCode", (address, tag)).await?;
    Ok(Account {
        balance,
        nonce: u64::try_from(nonce).context("nonce does not fit 64 bits")?,
        code,
        storage: BTreeMap::new(),
    })
}
