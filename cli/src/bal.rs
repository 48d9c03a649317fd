//! `lanes bal`: the EIP-7928 block access list of a block, from executing it; with
//! `--predicted`, the access list its predictions give and how it compares.

use alloy_primitives::{B256, Bytes, U256};
use anyhow::Context as _;
use lanes_analyzer::{BlockInput, Limits, SlotOrigins, analyze_block};
use lanes_scheduler::Recorder;
use lanes_scheduler::bal::{
    AccountChanges, BalBuilder, BalGrade, BalLocations, BlockAccessIndex, bal_hash, bal_rlp,
};
use lanes_scheduler::exec::{BlockContext, execute_context_with};
use serde::Serialize;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `lanes bal`.
#[derive(Debug, clap::Args)]
pub(crate) struct BalArgs {
    /// The block directory.
    block: PathBuf,
    /// Also give the access list the predictions give, and grade it against the actual one.
    #[arg(long)]
    predicted: bool,
    /// Print only the hash and counts, not the list.
    #[arg(long)]
    summary: bool,
}

#[derive(Debug, Serialize)]
struct Output {
    block: u64,
    /// `keccak256(rlp(block_access_list))`.
    hash: B256,
    accounts: usize,
    storage_changes: usize,
    storage_reads: usize,
    balance_changes: usize,
    nonce_changes: usize,
    code_changes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    rlp: Option<Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    block_access_list: Option<Vec<AccountChanges>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    predicted: Option<Predicted>,
    note: &'static str,
}

#[derive(Debug, Serialize)]
struct Predicted {
    #[serde(skip_serializing_if = "Option::is_none")]
    locations: Option<BalLocations>,
    grade: BalGrade,
}

const NOTE: &str = "changes by system contract calls (EIP-4788, EIP-2935 at index 0; EIP-7002, \
EIP-7251 at n+1) are not recorded; block directories' pre-states normally lack those contracts, \
so they do not run. A reward or \
withdrawal recipient missing from the pre-state is taken as empty before the block, as lanes' \
executor takes it";

pub(crate) fn run(args: &BalArgs) -> anyhow::Result<ExitCode> {
    let input = BlockInput::load(&args.block)?;
    let number = input.number();
    let ctx = BlockContext::new(&input)?;
    let mut builder = BalBuilder::new();
    let mut origins = SlotOrigins::default();
    execute_context_with(
        &input,
        &ctx,
        |_| Recorder::new(),
        |i, recorder, outcome| {
            builder.add_tx(i, &outcome.state);
            origins.extend(&recorder.finish(&outcome.state).origins);
        },
    )
    .with_context(|| format!("block {number}: execution"))?;
    let post = BlockAccessIndex::from_tx_index(input.transactions().len() as u64);
    builder.add_increments(post, ctx.balance_increments(), |address| {
        input
            .prestate
            .account(&address)
            .map_or(U256::ZERO, |a| a.balance)
    });
    let bal = builder.finish();
    let predicted = args.predicted.then(|| {
        let predictions = analyze_block(&input, &Limits::default());
        for p in &predictions {
            origins.extend(&p.origins);
        }
        let locations = BalLocations::of_predictions(&predictions);
        let grade = BalGrade::new(&locations, &BalLocations::of_bal(&bal), &origins);
        Predicted {
            locations: (!args.summary).then_some(locations),
            grade,
        }
    });
    let output = Output {
        block: number,
        hash: bal_hash(&bal),
        accounts: bal.len(),
        storage_changes: bal.iter().map(|a| a.storage_changes.len()).sum(),
        storage_reads: bal.iter().map(|a| a.storage_reads.len()).sum(),
        balance_changes: bal.iter().map(|a| a.balance_changes.len()).sum(),
        nonce_changes: bal.iter().map(|a| a.nonce_changes.len()).sum(),
        code_changes: bal.iter().map(|a| a.code_changes.len()).sum(),
        rlp: (!args.summary).then(|| bal_rlp(&bal)),
        block_access_list: (!args.summary).then_some(bal),
        predicted,
        note: NOTE,
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &output)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}
