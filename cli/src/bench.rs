//! `lanes bench`: execution and analysis times over block directories or a generated workload.

mod measure;

use crate::blocks::{find_block_dirs, run_parallel};
use anyhow::{Context, bail};
use lanes_analyzer::BlockInput;
use lanes_scheduler::{Workload, WorkloadKind};
use measure::{Measurement, NO_RUNTIME, Protocol, measure, median};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `lanes bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Block directories, or directories holding block directories (searched recursively).
    #[arg(required_unless_present = "workload", conflicts_with = "workload")]
    dirs: Vec<PathBuf>,
    /// Generate a block instead: raw (ETH transfers), erc20 (token transfers), amm (router
    /// swaps, each on its own pair) or mixed.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    workload: Option<WorkloadKind>,
    /// Transactions in the generated block.
    #[arg(long, default_value_t = 5_000, requires = "workload")]
    txs: usize,
    /// Fraction of the generated transactions sent through one hot recipient or pair.
    #[arg(long, value_name = "R", default_value_t = 0.0, requires = "workload")]
    hot_ratio: f64,
    /// Seed of the workload generator.
    #[arg(long, default_value_t = 1, requires = "workload")]
    seed: u64,
    /// Threads of the parallel execution.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Measured runs per block (medians are reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Unmeasured runs per block before the measured ones.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_kind(s: &str) -> Result<WorkloadKind, String> {
    s.parse()
        .map_err(|e: lanes_scheduler::WorkloadError| e.to_string())
}

/// `--workload` output.
#[derive(Debug, Serialize)]
struct WorkloadReport {
    workload: &'static str,
    #[serde(flatten)]
    measurement: Measurement,
    hot_ratio: f64,
    seed: u64,
}

/// One block of the directories' output.
#[derive(Debug, Serialize)]
struct BlockReport {
    block: u64,
    dir: PathBuf,
    #[serde(flatten)]
    measurement: Measurement,
}

#[derive(Debug, Serialize)]
struct Summary {
    blocks: usize,
    header_ok: bool,
    sequential_ms_total: f64,
    analysis_ms_total: f64,
    analysis_over_sequential_median: f64,
    speedup_mean: Option<f64>,
    speedup_median: Option<f64>,
    speedup_min: Option<f64>,
    threads: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct DirsReport {
    summary: Summary,
    blocks: Vec<BlockReport>,
}

pub(crate) fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    if args.threads == 0 {
        bail!("--threads must be at least 1");
    }
    let protocol = Protocol {
        threads: args.threads,
        runs: args.runs,
        warmup: args.warmup,
    };
    match args.workload {
        Some(kind) => bench_workload(args, kind, protocol),
        None => bench_dirs(args, protocol),
    }
}

fn bench_workload(
    args: &BenchArgs,
    kind: WorkloadKind,
    protocol: Protocol,
) -> anyhow::Result<ExitCode> {
    let workload = Workload::new(kind, args.txs)
        .with_hot_ratio(args.hot_ratio)
        .with_seed(args.seed);
    let input = workload
        .generate()
        .with_context(|| format!("generating the {kind} workload"))?;
    let report = WorkloadReport {
        workload: kind.name(),
        hot_ratio: args.hot_ratio,
        seed: args.seed,
        measurement: measure(&input, protocol)?,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report).context("writing JSON")?;
        writeln!(out)?;
    } else {
        let m = &report.measurement;
        writeln!(
            out,
            "workload {} ({} txs, hot ratio {}, seed {}): {} gas",
            report.workload, m.txs, report.hot_ratio, report.seed, m.gas
        )?;
        print_measurement(&mut out, m)?;
    }
    out.flush()?;
    Ok(exit_code(report.measurement.header_ok))
}

fn bench_dirs(args: &BenchArgs, protocol: Protocol) -> anyhow::Result<ExitCode> {
    let dirs = find_block_dirs(&args.dirs)?;
    // One block at a time: blocks measured concurrently would time each other.
    let results = run_parallel(&dirs, 1, "bench", |dir| bench_dir(dir, protocol));
    let blocks = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let summary = summarize(&blocks, protocol.threads);
    let report = DirsReport { summary, blocks };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report).context("writing JSON")?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &report)?;
    }
    out.flush()?;
    Ok(exit_code(report.summary.header_ok))
}

fn bench_dir(dir: &Path, protocol: Protocol) -> anyhow::Result<BlockReport> {
    let input = BlockInput::load(dir)?;
    Ok(BlockReport {
        block: input.number(),
        dir: dir.to_path_buf(),
        measurement: measure(&input, protocol)?,
    })
}

fn summarize(blocks: &[BlockReport], threads: usize) -> Summary {
    let mut speedups: Vec<f64> = blocks
        .iter()
        .filter_map(|b| b.measurement.speedup)
        .collect();
    let all_measured = !blocks.is_empty() && speedups.len() == blocks.len();
    let mut ratios: Vec<f64> = blocks
        .iter()
        .map(|b| b.measurement.analysis_ms / b.measurement.sequential_ms.max(1e-9))
        .collect();
    Summary {
        blocks: blocks.len(),
        header_ok: blocks.iter().all(|b| b.measurement.header_ok),
        sequential_ms_total: blocks.iter().map(|b| b.measurement.sequential_ms).sum(),
        analysis_ms_total: blocks.iter().map(|b| b.measurement.analysis_ms).sum(),
        analysis_over_sequential_median: median(&mut ratios),
        speedup_mean: all_measured.then(|| speedups.iter().sum::<f64>() / speedups.len() as f64),
        speedup_min: all_measured.then(|| speedups.iter().copied().fold(f64::INFINITY, f64::min)),
        speedup_median: all_measured.then(|| median(&mut speedups)),
        threads,
        note: (!all_measured).then_some(NO_RUNTIME),
    }
}

fn print_measurement(out: &mut impl Write, m: &Measurement) -> anyhow::Result<()> {
    writeln!(
        out,
        "sequential  {:>10.2} ms   (median of {} runs)",
        m.sequential_ms, m.runs
    )?;
    writeln!(
        out,
        "analysis    {:>10.2} ms   (analyze_block + plan, {:.2}x sequential)",
        m.analysis_ms,
        m.analysis_ms / m.sequential_ms.max(1e-9)
    )?;
    match (m.parallel_ms, m.speedup) {
        (Some(parallel), Some(speedup)) => writeln!(
            out,
            "parallel    {parallel:>10.2} ms   ({} threads), speedup {speedup:.2}x, identical: {}",
            m.threads,
            m.identical
                .map_or("unknown", |i| if i { "yes" } else { "NO" })
        )?,
        _ => writeln!(out, "parallel    not measured: {NO_RUNTIME}")?,
    }
    writeln!(
        out,
        "header      {}",
        if m.header_ok { "ok" } else { "MISMATCH" }
    )?;
    Ok(())
}

fn print_table(out: &mut impl Write, report: &DirsReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:>10} {:>6} {:>12} {:>10} {:>10} {:>10} {:>8} {:>6}  dir",
        "block", "txs", "gas", "seq ms", "par ms", "anal ms", "speedup", "header"
    )?;
    for b in &report.blocks {
        let m = &b.measurement;
        writeln!(
            out,
            "{:>10} {:>6} {:>12} {:>10.2} {:>10} {:>10.2} {:>8} {:>6}  {}",
            b.block,
            m.txs,
            m.gas,
            m.sequential_ms,
            m.parallel_ms
                .map_or_else(|| "-".into(), |p| format!("{p:.2}")),
            m.analysis_ms,
            m.speedup.map_or_else(|| "-".into(), |s| format!("{s:.2}")),
            if m.header_ok { "ok" } else { "BAD" },
            b.dir.display()
        )?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} blocks, {} threads: sequential {:.2} ms, analysis {:.2} ms (median {:.2}x sequential)",
        s.blocks,
        s.threads,
        s.sequential_ms_total,
        s.analysis_ms_total,
        s.analysis_over_sequential_median
    )?;
    match (s.speedup_mean, s.speedup_median, s.speedup_min) {
        (Some(mean), Some(median), Some(min)) => writeln!(
            out,
            "speedup mean {mean:.2}x, median {median:.2}x, min {min:.2}x"
        )?,
        _ => writeln!(out, "parallel not measured: {NO_RUNTIME}")?,
    }
    Ok(())
}

fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
