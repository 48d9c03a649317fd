//! `lanes bench`: `lanes execute`'s measurement (sequential and parallel interleaved in one
//! process after a warm-up, medians) over block directories or a generated workload.

use crate::blocks::find_block_dirs;
use crate::execute::{self, BlockTiming, measure, median, progress};
use alloy_primitives::Address;
use anyhow::{Context, bail};
use lanes_analyzer::BlockInput;
use lanes_analyzer::input::{BLOCK_FILE, PRESTATE_FILE};
use lanes_scheduler::{Workload, WorkloadKind};
use serde::Serialize;
use std::collections::BTreeMap;
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
    /// Also write the generated block as a block directory (block.json, prestate.json), for
    /// `lanes execute`, `lanes analyze` and `lanes verify`.
    #[arg(long, value_name = "DIR", requires = "workload")]
    out: Option<PathBuf>,
    /// Worker threads of the parallel runtime.
    #[arg(long, short, default_value_t = 2)]
    threads: usize,
    /// Timed runs per block and mode (medians are reported), after one warm-up run of each.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    #[command(flatten)]
    runtime: execute::RuntimeArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_kind(s: &str) -> Result<WorkloadKind, String> {
    s.parse()
        .map_err(|e: lanes_scheduler::WorkloadError| e.to_string())
}

/// What one block measured.
#[derive(Debug, Serialize)]
struct Measurement {
    txs: usize,
    gas: u64,
    sequential_ms: f64,
    parallel_ms: f64,
    /// `analyze_block` and the conflict graph, not part of `parallel_ms`.
    analysis_ms: f64,
    speedup: f64,
    /// `sequential_ms / (analysis_ms + parallel_ms)`.
    speedup_with_analysis: f64,
    /// Receipts root and logs bloom, computed after either execution and timed apart.
    commitments_ms: f64,
    identical: bool,
    header_ok: bool,
    reexecuted: usize,
    threads: usize,
    runs: usize,
}

impl Measurement {
    fn new(timing: &BlockTiming, threads: usize, runs: usize) -> Self {
        Self {
            txs: timing.txs,
            gas: timing.gas,
            sequential_ms: timing.sequential_ms,
            parallel_ms: timing.parallel_ms,
            analysis_ms: timing.analysis_ms,
            speedup: timing.speedup,
            speedup_with_analysis: timing.sequential_ms
                / (timing.analysis_ms + timing.parallel_ms).max(1e-9),
            commitments_ms: timing.commitments_ms,
            identical: timing.identical,
            header_ok: timing.header_ok,
            reexecuted: timing.reexecuted,
            threads,
            runs: runs.max(1),
        }
    }

    fn ok(&self) -> bool {
        self.identical && self.header_ok
    }
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
    #[serde(flatten)]
    speeds: execute::Summary,
    speedup_with_analysis_median: f64,
    threads: usize,
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
    let pool = crate::execute::worker_pool(args.threads)?;
    match args.workload {
        Some(kind) => bench_workload(args, kind, &pool),
        None => bench_dirs(args, &pool),
    }
}

fn bench_workload(
    args: &BenchArgs,
    kind: WorkloadKind,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<ExitCode> {
    let workload = Workload::new(kind, args.txs)
        .with_hot_ratio(args.hot_ratio)
        .with_seed(args.seed);
    let input = workload
        .generate()
        .with_context(|| format!("generating the {kind} workload"))?;
    if let Some(dir) = &args.out {
        write_block_dir(&input, dir)?;
    }
    let timing = measure(&input, pool, args.runtime.options(), args.runs)?;
    let report = WorkloadReport {
        workload: kind.name(),
        measurement: Measurement::new(&timing, args.threads, args.runs),
        hot_ratio: args.hot_ratio,
        seed: args.seed,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report).context("writing JSON")?;
        writeln!(out)?;
    } else {
        let m = &report.measurement;
        writeln!(
            out,
            "workload {} ({} txs, hot ratio {}, seed {}): {} gas, {} threads, medians of {} runs",
            report.workload, m.txs, report.hot_ratio, report.seed, m.gas, m.threads, m.runs
        )?;
        writeln!(out, "sequential  {:>10.2} ms", m.sequential_ms)?;
        writeln!(
            out,
            "parallel    {:>10.2} ms   speedup {:.2}x, {} re-executed",
            m.parallel_ms, m.speedup, m.reexecuted
        )?;
        writeln!(
            out,
            "analysis    {:>10.2} ms   speedup including it {:.2}x",
            m.analysis_ms, m.speedup_with_analysis
        )?;
        writeln!(
            out,
            "identical   {}, header {}",
            if m.identical { "yes" } else { "NO" },
            if m.header_ok { "ok" } else { "MISMATCH" }
        )?;
    }
    out.flush()?;
    Ok(exit_code(report.measurement.ok()))
}

fn bench_dirs(args: &BenchArgs, pool: &rayon::ThreadPool) -> anyhow::Result<ExitCode> {
    let dirs = find_block_dirs(&args.dirs)?;
    // One block at a time on this thread. Not on a rayon pool: a worker of one pool waiting in
    // `install` on another runs its own pool's queued jobs meanwhile, so one block's timing
    // would include other blocks' measurements.
    let bar = progress(dirs.len());
    let mut blocks = Vec::with_capacity(dirs.len());
    for dir in &dirs {
        blocks.push(bench_dir(dir, pool, args)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let summary = summarize(&blocks, args.threads);
    let ok = blocks.iter().all(|b| b.measurement.ok());
    let report = DirsReport { summary, blocks };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report).context("writing JSON")?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &report)?;
    }
    out.flush()?;
    Ok(exit_code(ok))
}

fn bench_dir(
    dir: &Path,
    pool: &rayon::ThreadPool,
    args: &BenchArgs,
) -> anyhow::Result<BlockReport> {
    let input = BlockInput::load(dir)?;
    let timing = measure(&input, pool, args.runtime.options(), args.runs)
        .with_context(|| format!("{}", dir.display()))?;
    Ok(BlockReport {
        block: input.number(),
        dir: dir.to_path_buf(),
        measurement: Measurement::new(&timing, args.threads, args.runs),
    })
}

fn summarize(blocks: &[BlockReport], threads: usize) -> Summary {
    let mut with_analysis: Vec<f64> = blocks
        .iter()
        .map(|b| b.measurement.speedup_with_analysis)
        .collect();
    Summary {
        speeds: execute::Summary::of(blocks.iter().map(|b| {
            let m = &b.measurement;
            (m.identical, m.header_ok, m.speedup)
        })),
        speedup_with_analysis_median: median(&mut with_analysis),
        threads,
    }
}

fn print_table(out: &mut impl Write, report: &DirsReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:>10} {:>6} {:>11} {:>9} {:>9} {:>9} {:>7} {:>7} {:>6} {:>9} {:>6}  dir",
        "block",
        "txs",
        "gas",
        "seq_ms",
        "par_ms",
        "anal_ms",
        "speedup",
        "w/anal",
        "reexec",
        "identical",
        "header"
    )?;
    for b in &report.blocks {
        let m = &b.measurement;
        writeln!(
            out,
            "{:>10} {:>6} {:>11} {:>9.2} {:>9.2} {:>9.2} {:>7.2} {:>7.2} {:>6} {:>9} {:>6}  {}",
            b.block,
            m.txs,
            m.gas,
            m.sequential_ms,
            m.parallel_ms,
            m.analysis_ms,
            m.speedup,
            m.speedup_with_analysis,
            m.reexecuted,
            m.identical,
            m.header_ok,
            b.dir.display()
        )?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} blocks, {} threads, {} identical, {} header ok; speedup mean {:.2} median {:.2} \
         min {:.2}; including analysis, median {:.2}",
        s.speeds.blocks,
        s.threads,
        s.speeds.identical,
        s.speeds.header_ok,
        s.speeds.speedup_mean,
        s.speeds.speedup_median,
        s.speeds.speedup_min,
        s.speedup_with_analysis_median
    )?;
    Ok(())
}

/// Writes `input` in the block-directory layout `BlockInput::load` reads.
fn write_block_dir(input: &BlockInput, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let prestate: BTreeMap<Address, serde_json::Value> = input
        .prestate
        .accounts
        .iter()
        .map(|(address, account)| {
            let value = serde_json::json!({
                "balance": account.balance,
                "nonce": account.nonce,
                "code": account.code,
                "storage": account.storage,
            });
            (*address, value)
        })
        .collect();
    let files = [
        (BLOCK_FILE, serde_json::to_vec(&input.block)?),
        (PRESTATE_FILE, serde_json::to_vec(&prestate)?),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes)
            .with_context(|| format!("{}: cannot write", path.display()))?;
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
