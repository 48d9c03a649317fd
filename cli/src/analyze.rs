//! `lanes analyze`: how well the analyzer predicts each transaction's accesses, measured
//! against a recorded sequential execution (DESIGN.md, "Prediction quality").
//!
//! Blocks run one after another so the timings are not disturbed by each other; the analyzer
//! itself may use every core.

mod block;
mod detail;
mod render;
mod report;
mod schedule;
mod table;
mod txs;

use anyhow::{Context as _, bail};
use block::BlockRun;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lanes_analyzer::Limits;
use report::{BlockReport, Report};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned text tables.
    Table,
    /// One JSON object.
    Json,
    /// Markdown tables.
    Markdown,
    /// Graphviz DOT of one block's conflict graph, critical path in red (needs one block).
    Dot,
    /// SVG chart of one block's simulated schedule, workers over time (needs one block).
    Svg,
}

/// Arguments of `lanes analyze`.
#[derive(Debug, clap::Args)]
pub(crate) struct AnalyzeArgs {
    /// Block directories, or directories to search for them recursively.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Show transaction N's predicted and actual accesses (needs exactly one block).
    #[arg(long, value_name = "N")]
    tx: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Group misses and widenings by cause.
    #[arg(long)]
    causes: bool,
    /// Show every block's transactions (the default for a single block).
    #[arg(long)]
    txs: bool,
    /// Time the analysis and the plain sequential execution N times and keep the fastest.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: usize,
    /// The graph `--format dot` and `--format svg` draw.
    #[arg(long, value_enum, default_value_t = schedule::GraphArg::Predicted)]
    graph: schedule::GraphArg,
    /// Workers in the `--format svg` chart.
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Threads the analyzer runs on (0: one per core); execution is sequential either way.
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
}

/// Runs `lanes analyze`.
pub(crate) fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .context("cannot start the analyzer's threads")?;
    // Start the threads now, so the first block's timing does not pay for it.
    pool.broadcast(|_| ());
    pool.install(|| analyze(args))
}

fn analyze(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let dirs = crate::blocks::find_block_dirs(&args.dirs)?;
    let limits = Limits::default();
    let mut out = std::io::stdout().lock();

    if let Some(index) = args.tx {
        let [dir] = &dirs[..] else {
            bail!("--tx needs exactly one block, found {}", dirs.len());
        };
        let run = BlockRun::run(dir, &limits, true, args.repeat)?;
        let detail = detail::TxDetail::new(&run, index).with_context(|| {
            format!(
                "block {} has {} transactions, no transaction {index}",
                run.number(),
                run.predictions.len()
            )
        })?;
        match args.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&detail)?)?,
            format => write!(out, "{}", render::sections(format, &detail.tables()))?,
        }
        return Ok(ExitCode::SUCCESS);
    }

    if matches!(args.format, Format::Dot | Format::Svg) {
        let [dir] = &dirs[..] else {
            bail!(
                "--format dot and svg need exactly one block, found {}",
                dirs.len()
            );
        };
        let run = BlockRun::run(dir, &limits, true, args.repeat)?;
        let svg = args.format == Format::Svg;
        write!(
            out,
            "{}",
            schedule::graph(&run, svg, args.graph, args.workers)?
        )?;
        return Ok(ExitCode::SUCCESS);
    }

    let rows = args.txs || dirs.len() == 1;
    let bar = progress(dirs.len());
    let mut blocks = Vec::with_capacity(dirs.len());
    let mut failed = 0;
    for dir in &dirs {
        bar.set_message(dir.display().to_string());
        match BlockRun::run(dir, &limits, rows, args.repeat) {
            Ok(run) => blocks.push(BlockReport::of_run(&run, rows)),
            Err(err) => {
                failed += 1;
                bar.suspend(|| eprintln!("error: {}: {err:#}", dir.display()));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let report = Report::new(blocks, args.causes, rayon::current_num_threads());
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        format => write!(
            out,
            "{}",
            render::sections(format, &render::report_tables(&report))
        )?,
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A progress bar on stderr, shown only for several blocks on a terminal.
fn progress(len: usize) -> ProgressBar {
    if len < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("analyze [{bar:40}] {pos}/{len} {elapsed} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
