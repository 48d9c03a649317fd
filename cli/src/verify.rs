//! `lanes verify`: execute blocks sequentially and check them against their headers.

use crate::blocks::{find_block_dirs, run_parallel};
use anyhow::Context;
use lanes_analyzer::BlockInput;
use lanes_scheduler::exec::{BlockContext, Check, EthereumHardfork, check_header, execute_context};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `lanes verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// Block directories, or directories holding block directories (searched recursively).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Force every hardfork up to this one (e.g. `prague`, `osaka`) instead of the mainnet
    /// schedule (chain id 1) or the fork the header's shape shows (other chains).
    #[arg(long, value_name = "FORK", value_parser = parse_fork)]
    spec: Option<EthereumHardfork>,
    /// Blocks verified at once (0: one per core).
    #[arg(long, short, default_value_t = 0)]
    jobs: usize,
}

fn parse_fork(s: &str) -> Result<EthereumHardfork, String> {
    s.parse()
        .map_err(|_| format!("unknown hardfork `{s}` (e.g. london, shanghai, cancun, prague)"))
}

/// One block's line of the report.
#[derive(Debug, Serialize)]
struct BlockReport {
    block: Option<u64>,
    ok: bool,
    receipts_root: Option<Check>,
    logs_bloom: Option<Check>,
    gas_used: Option<Check>,
    error: Option<String>,
    ms: f64,
    #[serde(skip)]
    txs: usize,
    #[serde(skip)]
    gas: u64,
}

#[derive(Debug, Serialize)]
struct Report {
    blocks: Vec<BlockReport>,
    ok: usize,
    failed: usize,
}

pub(crate) fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let dirs = find_block_dirs(&args.dirs)?;
    let blocks = run_parallel(&dirs, args.jobs, "verify", |dir| {
        verify_block(dir, args.spec)
    });
    let ok = blocks.iter().filter(|b| b.ok).count();
    let report = Report {
        failed: blocks.len() - ok,
        ok,
        blocks,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report).context("writing JSON")?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &report)?;
    }
    out.flush()?;
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn verify_block(dir: &std::path::Path, fork: Option<EthereumHardfork>) -> BlockReport {
    let mut report = BlockReport {
        block: block_number_hint(dir),
        ok: false,
        receipts_root: None,
        logs_bloom: None,
        gas_used: None,
        error: None,
        ms: 0.0,
        txs: 0,
        gas: 0,
    };
    let input = match BlockInput::load(dir) {
        Ok(input) => input,
        Err(e) => {
            report.error = Some(format!("{e:#}"));
            return report;
        }
    };
    report.block = Some(input.number());
    report.txs = input.transactions().len();
    let start = Instant::now();
    let outcome =
        BlockContext::with_fork(&input, fork).and_then(|ctx| execute_context(&input, &ctx));
    report.ms = start.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(outcome) => {
            let check = check_header(&input, &outcome);
            report.gas = outcome.gas_used;
            report.receipts_root = Some(check.receipts_root);
            report.logs_bloom = Some(check.logs_bloom);
            report.gas_used = Some(check.gas_used);
            report.ok = check.ok();
            if !check.ok() {
                report.error = Some(format!("{}: {}", dir.display(), check.details.join("; ")));
            }
        }
        Err(e) => report.error = Some(format!("{}: {e}", dir.display())),
    }
    report
}

/// The block number of a directory whose block does not load: the `number` field if the JSON
/// parses that far, else a numeric directory name.
fn block_number_hint(dir: &std::path::Path) -> Option<u64> {
    let from_json = std::fs::read(dir.join(lanes_analyzer::input::BLOCK_FILE))
        .ok()
        .and_then(|text| serde_json::from_slice::<serde_json::Value>(&text).ok())
        .and_then(|v| {
            let hex = v.get("number")?.as_str()?.strip_prefix("0x")?.to_owned();
            u64::from_str_radix(&hex, 16).ok()
        });
    from_json.or_else(|| dir.file_name()?.to_str()?.parse().ok())
}

fn print_table(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>10} {:>5} {:>11} {:>13} {:>10} {:>9} {:>9}",
        "block", "txs", "gas", "receipts_root", "logs_bloom", "gas_used", "ms"
    )?;
    let show = |c: Option<Check>| c.map_or("-", Check::as_str);
    for b in &report.blocks {
        let block = b.block.map_or_else(|| "?".to_string(), |n| n.to_string());
        writeln!(
            out,
            "{block:>10} {:>5} {:>11} {:>13} {:>10} {:>9} {:>9.1}",
            b.txs,
            b.gas,
            show(b.receipts_root),
            show(b.logs_bloom),
            show(b.gas_used),
            b.ms
        )?;
    }
    for b in report.blocks.iter().filter(|b| b.error.is_some()) {
        let block = b.block.map_or_else(|| "?".to_string(), |n| n.to_string());
        writeln!(out, "FAILED {block}: {}", b.error.as_deref().unwrap_or(""))?;
    }
    writeln!(out, "{} ok, {} failed", report.ok, report.failed)
}
