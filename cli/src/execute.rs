//! `lanes execute`: sequential and parallel execution of the same blocks in one process,
//! interleaved after a warm-up, medians of several runs.

use crate::blocks::find_block_dirs;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lanes_analyzer::{AccessPrediction, BlockInput, Limits, analyze_block};
use lanes_scheduler::exec::{
    BlockContext, BlockOutcome, PreStateDb, check_header, execute_prepared,
};
use lanes_scheduler::runtime::{
    ParallelOutcome, RuntimeOptions, execute_parallel_prepared, planned_speedup, runtime_plan,
};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `lanes execute`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExecuteArgs {
    /// Block directories, or directories holding block directories (searched recursively).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Worker threads of the parallel runtime.
    #[arg(long, short, default_value_t = 2)]
    threads: usize,
    /// Timed runs per block and mode (the median is reported), after one warm-up run; a block
    /// that runs faster than 250 ms a mode in these gets more runs, up to 125.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    #[command(flatten)]
    runtime: RuntimeArgs,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// When the parallel mode falls back to sequential execution (`lanes execute`, `lanes bench`).
#[derive(Debug, clap::Args)]
pub(crate) struct RuntimeArgs {
    /// Blocks with fewer transactions run sequentially in the parallel mode.
    #[arg(long, default_value_t = RuntimeOptions::default().min_parallel_txs)]
    min_txs: usize,
    /// Blocks whose plan promises a smaller speedup on the threads given run sequentially in
    /// the parallel mode (0 never falls back).
    #[arg(long, default_value_t = RuntimeOptions::default().min_planned_speedup)]
    min_planned_speedup: f64,
}

impl RuntimeArgs {
    pub(crate) fn options(&self) -> RuntimeOptions {
        RuntimeOptions {
            min_parallel_txs: self.min_txs,
            min_planned_speedup: self.min_planned_speedup,
        }
    }
}

/// One block's measurements.
#[derive(Debug, Serialize)]
pub(crate) struct BlockTiming {
    pub(crate) block: u64,
    pub(crate) identical: bool,
    pub(crate) header_ok: bool,
    pub(crate) sequential_ms: f64,
    pub(crate) parallel_ms: f64,
    pub(crate) analysis_ms: f64,
    /// Receipts root and logs bloom: header commitments, computed after either execution and
    /// not part of `sequential_ms` or `parallel_ms`.
    pub(crate) commitments_ms: f64,
    pub(crate) speedup: f64,
    pub(crate) reexecuted: usize,
    pub(crate) txs: usize,
    pub(crate) gas: u64,
    /// Transactions run speculatively (the rest ran as the next to commit).
    pub(crate) speculated: usize,
    /// The speedup the plan promised on these threads ([`planned_speedup`]).
    pub(crate) planned_speedup: f64,
    /// The parallel mode ran the block sequentially (too small or too dependent).
    pub(crate) fell_back: bool,
}

/// Blocks identical to sequential and matching their headers, and the speedups' statistics;
/// shared by `lanes execute` and `lanes bench`.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    pub(crate) blocks: usize,
    pub(crate) identical: usize,
    pub(crate) header_ok: usize,
    pub(crate) speedup_mean: f64,
    pub(crate) speedup_median: f64,
    pub(crate) speedup_min: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    summary: Summary,
    blocks: Vec<BlockTiming>,
}

pub(crate) fn run(args: &ExecuteArgs) -> anyhow::Result<ExitCode> {
    let dirs = find_block_dirs(&args.dirs)?;
    let pool = worker_pool(args.threads.max(1))?;
    let options = args.runtime.options();
    let bar = progress(dirs.len());
    let mut blocks = Vec::with_capacity(dirs.len());
    for dir in &dirs {
        let input = BlockInput::load(dir)?;
        blocks.push(
            measure(&input, &pool, options, args.runs)
                .with_context(|| format!("{}", dir.display()))?,
        );
        bar.inc(1);
    }
    bar.finish_and_clear();
    let report = Report {
        summary: summarize(&blocks),
        blocks,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &report)?;
    }
    out.flush()?;
    let all_good = report.summary.identical == report.summary.blocks
        && report.summary.header_ok == report.summary.blocks;
    Ok(if all_good {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The runtime's thread pool, worker `i` pinned to core `i` (modulo the cores): a thread that
/// migrates between cores mid-run finds its caches cold, which made sequential timings vary by
/// a quarter between processes on this 2-core machine. Pinning is best effort.
pub(crate) fn worker_pool(threads: usize) -> anyhow::Result<rayon::ThreadPool> {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .start_handler(move |i| {
            if let Some(core) = cores.get(i % cores.len().max(1)) {
                core_affinity::set_for_current(*core);
            }
        })
        .build()
        .context("building the worker pool")
}

/// Time each mode of a short block takes over its runs, at least (see [`measure`]).
const MIN_MEASURED_MS: f64 = 250.0;

/// Most runs a short block gets to reach [`MIN_MEASURED_MS`].
const MAX_RUNS: usize = 125;

/// Analyses, plans and times one block: a warm-up of each mode, then at least `runs`
/// interleaved runs (more for a short block).
pub(crate) fn measure(
    input: &BlockInput,
    pool: &rayon::ThreadPool,
    options: RuntimeOptions,
    runs: usize,
) -> anyhow::Result<BlockTiming> {
    let ctx = BlockContext::new(input)?;
    let start = Instant::now();
    let predictions: Vec<AccessPrediction> =
        pool.install(|| analyze_block(input, &Limits::default()));
    // The runtime waits only where a transaction reads what an earlier one changes.
    let plan = runtime_plan(input, &ctx, &predictions);
    let analysis_ms = ms(start);
    // Both modes execute over the same prepared pre-state (code hashed and analysed once,
    // like loading the files) and yield receipts and post-state: the timings are execution
    // only; the header commitments are timed apart (`commitments_ms`).
    let pre = PreStateDb::new(input);
    let sequential = || execute_prepared(&pre, &ctx);
    let parallel = || execute_parallel_prepared(&pre, &ctx, &plan, options);
    // Both modes start on the same pool thread, so neither finds the other's caches cold.
    let (reference, first, mut seq_ms, mut par_ms) = pool.install(|| {
        let reference: BlockOutcome = sequential()?;
        let first: ParallelOutcome = parallel()?;
        let (mut seq_ms, mut par_ms) = (Vec::new(), Vec::new());
        // A short block runs until each mode took MIN_MEASURED_MS: on this kind of machine a
        // worker thread is sometimes not scheduled for milliseconds, and five runs of a
        // 2-millisecond block leave the median to such a stall.
        while seq_ms.len() < runs.max(1)
            || (seq_ms.len() < MAX_RUNS
                && (seq_ms.iter().sum::<f64>() < MIN_MEASURED_MS
                    || par_ms.iter().sum::<f64>() < MIN_MEASURED_MS))
        {
            // Each mode goes first every other round, so that neither always runs in what
            // the other leaves behind (caches, allocator, the other core's state).
            let seq_first = seq_ms.len().is_multiple_of(2);
            for mode in [seq_first, !seq_first] {
                let start = Instant::now();
                if mode {
                    std::hint::black_box(sequential()?);
                    seq_ms.push(ms(start));
                } else {
                    std::hint::black_box(parallel()?);
                    par_ms.push(ms(start));
                }
            }
        }
        anyhow::Ok((reference, first, seq_ms, par_ms))
    })?;
    let (sequential_ms, parallel_ms) = (median(&mut seq_ms), median(&mut par_ms));
    let start = Instant::now();
    let header_ok = check_header(input, &first.outcome).ok();
    let commitments_ms = ms(start);
    Ok(BlockTiming {
        block: input.number(),
        identical: first.outcome == reference,
        header_ok,
        sequential_ms,
        parallel_ms,
        analysis_ms,
        commitments_ms,
        speedup: sequential_ms / parallel_ms.max(1e-9),
        reexecuted: first.reexecuted.len(),
        txs: ctx.len(),
        gas: reference.gas_used,
        speculated: first.speculated,
        planned_speedup: planned_speedup(&plan, pool.current_num_threads()),
        fell_back: first.sequential,
    })
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// The median (mean of the middle two for an even count); 0 for none.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        f64::midpoint(values[mid - 1], values[mid])
    } else {
        values[mid]
    }
}

fn summarize(blocks: &[BlockTiming]) -> Summary {
    Summary::of(blocks.iter().map(|b| (b.identical, b.header_ok, b.speedup)))
}

impl Summary {
    /// Summarises `(identical, header_ok, speedup)` per block; statistics of no blocks are 0.
    pub(crate) fn of(blocks: impl IntoIterator<Item = (bool, bool, f64)>) -> Self {
        let (mut count, mut identical, mut header_ok) = (0, 0, 0);
        let mut speedups = Vec::new();
        for (same, header, speedup) in blocks {
            count += 1;
            identical += usize::from(same);
            header_ok += usize::from(header);
            speedups.push(speedup);
        }
        Self {
            blocks: count,
            identical,
            header_ok,
            speedup_mean: if speedups.is_empty() {
                0.0
            } else {
                speedups.iter().sum::<f64>() / speedups.len() as f64
            },
            speedup_min: speedups.iter().copied().reduce(f64::min).unwrap_or(0.0),
            speedup_median: median(&mut speedups),
        }
    }
}

pub(crate) fn progress(len: usize) -> ProgressBar {
    if len > 1 && std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("[{bar:40}] {pos}/{len} {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    }
}

fn print_table(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>10} {:>5} {:>10} {:>9} {:>9} {:>9} {:>7} {:>5} {:>6} {:>9} {:>6}",
        "block",
        "txs",
        "gas",
        "seq_ms",
        "par_ms",
        "anal_ms",
        "speedup",
        "spec",
        "reexec",
        "identical",
        "header"
    )?;
    for b in &report.blocks {
        writeln!(
            out,
            "{:>10} {:>5} {:>10} {:>9.2} {:>9.2} {:>9.2} {:>7.2} {:>5} {:>6} {:>9} {:>6}",
            b.block,
            b.txs,
            b.gas,
            b.sequential_ms,
            b.parallel_ms,
            b.analysis_ms,
            b.speedup,
            b.speculated,
            b.reexecuted,
            b.identical,
            b.header_ok
        )?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} blocks, {} identical, {} header ok; speedup mean {:.2} median {:.2} min {:.2}",
        s.blocks, s.identical, s.header_ok, s.speedup_mean, s.speedup_median, s.speedup_min
    )
}
