//! The report's data: per-block and aggregate summaries, serialised as the JSON output and
//! rendered as tables. Other sections (e.g. a schedule) hang off [`BlockReport`] and
//! [`Report`] as optional fields computed in their own modules.

use super::block::BlockRun;
use super::schedule::ScheduleSummary;
use super::txs::TxRow;
use lanes_scheduler::Quality;
use lanes_scheduler::quality::Causes;
use lanes_scheduler::report::{BlockReport as ScheduleReport, BlockSchedule};
use serde::Serialize;

/// Quality and timing numbers over one block or many.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct Summary {
    /// Blocks.
    pub(crate) blocks: usize,
    /// Transactions.
    pub(crate) txs: usize,
    /// Gas used.
    pub(crate) gas: u64,
    /// Covered transactions / transactions.
    pub(crate) coverage_by_count: f64,
    /// Gas of covered transactions / gas.
    pub(crate) coverage_by_gas: f64,
    /// Σ |predicted ∩ actual| / Σ |predicted| over transactions with no widening.
    pub(crate) exact_precision: f64,
    /// Transactions with a contract-wide or unknown widening / transactions.
    pub(crate) widened_fraction: f64,
    /// Wall time of the analyzer.
    pub(crate) analysis_seconds: f64,
    /// Wall time of plain sequential execution from the input (building revm's state, code
    /// hashed and analysed, included).
    pub(crate) sequential_seconds: f64,
    /// Wall time of plain sequential execution over revm's state already built.
    pub(crate) execution_seconds: f64,
    /// Wall time of the recorded sequential execution.
    pub(crate) recorded_seconds: f64,
    /// analysis_seconds / sequential_seconds.
    pub(crate) analysis_cost: f64,
    /// analysis_seconds / execution_seconds.
    pub(crate) analysis_vs_execution: f64,
    /// Covered transactions.
    pub(crate) covered: usize,
    /// Transactions with a widened prediction.
    pub(crate) widened: usize,
    /// The counts the fractions above are computed from.
    #[serde(skip)]
    pub(crate) quality: Quality,
    /// Parallelism and simulated speedups (see `schedule.rs`).
    #[serde(flatten)]
    pub(crate) schedule: ScheduleSummary,
}

impl Summary {
    /// The summary of one block's run.
    pub(crate) fn of_run(run: &BlockRun) -> Self {
        let mut summary = Self {
            blocks: 1,
            analysis_seconds: run.analysis_seconds,
            sequential_seconds: run.sequential_seconds,
            execution_seconds: run.execution_seconds,
            recorded_seconds: run.recorded_seconds,
            quality: run.quality.summary,
            ..Self::default()
        };
        summary.derive();
        summary
    }

    /// Adds another summary.
    pub(crate) fn add(&mut self, other: &Self) {
        self.blocks += other.blocks;
        self.analysis_seconds += other.analysis_seconds;
        self.sequential_seconds += other.sequential_seconds;
        self.execution_seconds += other.execution_seconds;
        self.recorded_seconds += other.recorded_seconds;
        self.quality.add(&other.quality);
        self.schedule.add(&other.schedule);
        self.derive();
    }

    fn derive(&mut self) {
        let q = &self.quality;
        self.txs = q.txs;
        self.gas = q.gas;
        self.covered = q.covered;
        self.widened = q.widened;
        self.coverage_by_count = q.coverage_by_count();
        self.coverage_by_gas = q.coverage_by_gas();
        self.exact_precision = q.exact_precision();
        self.widened_fraction = q.widened_fraction();
        let ratio = |d: f64| {
            if d > 0.0 {
                self.analysis_seconds / d
            } else {
                0.0
            }
        };
        self.analysis_cost = ratio(self.sequential_seconds);
        self.analysis_vs_execution = ratio(self.execution_seconds);
    }
}

/// One block's section of the report.
#[derive(Debug, Serialize)]
pub(crate) struct BlockReport {
    /// The block number.
    pub(crate) block: u64,
    /// The hard fork it ran under.
    pub(crate) era: String,
    /// Its numbers.
    #[serde(flatten)]
    pub(crate) summary: Summary,
    /// Its transactions (in the JSON only for a single block or with `--txs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) transactions: Option<Vec<TxRow>>,
    /// Misses and widenings by cause (kept for the aggregate; not serialised per block).
    #[serde(skip)]
    pub(crate) causes: Causes,
    /// Batches, critical path, dependencies and simulated makespans (see `schedule.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) schedule: Option<BlockSchedule>,
    /// The schedule with its explanation, for the tables.
    #[serde(skip)]
    pub(crate) explained: Option<ScheduleReport>,
}

impl BlockReport {
    /// The report section of one run; `rows` keeps the transaction table.
    pub(crate) fn of_run(run: &BlockRun, rows: bool) -> Self {
        let explained = super::schedule::explain(run)
            .map_err(|e| eprintln!("block {}: schedule: {e:#}", run.number()))
            .ok();
        let mut summary = Summary::of_run(run);
        if let Some(e) = &explained {
            summary.schedule = ScheduleSummary::of_block(&e.schedule, e.gas);
        }
        Self {
            block: run.number(),
            era: era_name(run.spec),
            summary,
            transactions: rows.then(|| TxRow::all(run)),
            causes: run.quality.causes.clone(),
            schedule: explained.as_ref().map(|e| e.schedule.clone()),
            explained,
        }
    }
}

/// A summary of the blocks of one era.
#[derive(Debug, Serialize)]
pub(crate) struct EraSummary {
    /// The hard fork.
    pub(crate) era: String,
    /// Its numbers.
    #[serde(flatten)]
    pub(crate) summary: Summary,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// Threads the analyzer ran on (`analysis_seconds` is its wall time on them).
    pub(crate) analysis_threads: usize,
    /// Over all blocks.
    pub(crate) summary: Summary,
    /// Per era, in fork order.
    pub(crate) eras: Vec<EraSummary>,
    /// Per block, in the order given.
    pub(crate) blocks: Vec<BlockReport>,
    /// Misses and widenings by cause over all blocks (with `--causes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) causes: Option<Causes>,
}

impl Report {
    /// Aggregates block reports.
    pub(crate) fn new(blocks: Vec<BlockReport>, causes: bool, analysis_threads: usize) -> Self {
        let mut summary = Summary::default();
        let mut eras: Vec<EraSummary> = Vec::new();
        let mut all_causes = Causes::default();
        for block in &blocks {
            summary.add(&block.summary);
            all_causes.add(&block.causes);
            match eras.iter_mut().find(|e| e.era == block.era) {
                Some(era) => era.summary.add(&block.summary),
                None => eras.push(EraSummary {
                    era: block.era.clone(),
                    summary: block.summary,
                }),
            }
        }
        eras.sort_by_key(|e| era_rank(&e.era));
        Self {
            analysis_threads,
            summary,
            eras,
            blocks,
            causes: causes.then_some(all_causes),
        }
    }
}

/// The hard fork's name as revm spells it, e.g. "Cancun".
fn era_name(spec: revm::primitives::hardfork::SpecId) -> String {
    let name: &'static str = spec.into();
    name.to_owned()
}

/// Fork order for sorting era names.
fn era_rank(name: &str) -> u8 {
    name.parse::<revm::primitives::hardfork::SpecId>()
        .map_or(u8::MAX, |s| s as u8)
}
