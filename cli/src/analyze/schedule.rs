//! The schedule sections of `lanes analyze` (issue 5): per block, the predicted and oracle
//! graphs' batches, critical path, parallelism and simulated speedups, and what serialized the
//! block; over blocks and eras, gas-weighted parallelism and simulated speedups. DOT and SVG
//! renderings of one block's graph.

use super::block::BlockRun;
use super::report::Report;
use super::table::Table;
use lanes_scheduler::report::{
    self as schedule, BlockReport as ScheduleReport, BlockSchedule, Explanation, GraphKind,
    ReportInput, SHOWN_RUNS, TxInfo, class_name, thousands,
};
use lanes_scheduler::simulate::WORKERS;
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};

/// Batches (and transactions per batch) listed before eliding the rest.
const SHOWN: usize = 16;

/// Which graph to draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GraphArg {
    /// From the predictions: lanes' schedule.
    #[default]
    Predicted,
    /// From the actual access sets.
    Oracle,
}

impl From<GraphArg> for GraphKind {
    fn from(g: GraphArg) -> Self {
        match g {
            GraphArg::Predicted => Self::Predicted,
            GraphArg::Oracle => Self::Oracle,
        }
    }
}

/// Plans and explains one block's graphs.
pub(crate) fn explain(run: &BlockRun) -> anyhow::Result<ScheduleReport> {
    let txs = TxInfo::of_block(&run.input);
    let gas: Vec<u64> = run.quality.txs.iter().map(|t| t.gas).collect();
    Ok(ScheduleReport::new(&ReportInput {
        number: run.number(),
        beneficiary: run.input.block.header.beneficiary,
        txs: &txs,
        predictions: &run.predictions,
        actuals: &run.actuals,
        gas: &gas,
        keys: &run.keys,
        quality: Some(&run.quality),
        prestate: Some(&run.input.prestate),
    })?)
}

/// The graph of one block as DOT or SVG.
pub(crate) fn graph(
    run: &BlockRun,
    svg: bool,
    kind: GraphArg,
    workers: usize,
) -> anyhow::Result<String> {
    let report = explain(run)?;
    Ok(if svg {
        schedule::to_svg(&report, kind.into(), workers)
    } else {
        schedule::to_dot(&report, kind.into())
    })
}

/// Simulated speedups by worker count (serialized as `{"2": ..., "4": ...}`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Speedups([f64; WORKERS.len()]);

impl Serialize for Speedups {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(WORKERS.len()))?;
        for (k, v) in WORKERS.iter().zip(self.0) {
            map.serialize_entry(&k.to_string(), &v)?;
        }
        map.end()
    }
}

/// Schedule numbers over one block or many: parallelism weighted by each block's gas, and the
/// simulated speedup of running the blocks one after another (Σ gas / Σ makespan).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct ScheduleSummary {
    /// Gas-weighted predicted-graph parallelism.
    pub(crate) parallelism_predicted: f64,
    /// Gas-weighted oracle-graph parallelism.
    pub(crate) parallelism_oracle: f64,
    /// `parallelism_predicted / parallelism_oracle`.
    pub(crate) parallelism_ratio: f64,
    /// Simulated speedup of the predicted graph by number of workers.
    pub(crate) speedup_predicted: Speedups,
    /// Simulated speedup of the oracle graph by number of workers.
    pub(crate) speedup_oracle: Speedups,
    #[serde(skip)]
    sums: Sums,
}

#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    gas: u64,
    predicted: f64,
    oracle: f64,
    makespan_predicted: [u64; WORKERS.len()],
    makespan_oracle: [u64; WORKERS.len()],
}

impl ScheduleSummary {
    /// The numbers of one block.
    pub(crate) fn of_block(s: &BlockSchedule, gas: u64) -> Self {
        let makespans = |g: &schedule::GraphSummary| {
            let mut m = [0u64; WORKERS.len()];
            for (slot, k) in m.iter_mut().zip(WORKERS) {
                *slot = g.simulated.get(&k).copied().unwrap_or(gas);
            }
            m
        };
        let mut summary = Self {
            sums: Sums {
                gas,
                predicted: gas as f64 * s.predicted.parallelism,
                oracle: gas as f64 * s.oracle.parallelism,
                makespan_predicted: makespans(&s.predicted),
                makespan_oracle: makespans(&s.oracle),
            },
            ..Self::default()
        };
        summary.derive();
        summary
    }

    /// Adds another block's or group's numbers.
    pub(crate) fn add(&mut self, other: &Self) {
        let (a, b) = (&mut self.sums, &other.sums);
        a.gas += b.gas;
        a.predicted += b.predicted;
        a.oracle += b.oracle;
        for i in 0..WORKERS.len() {
            a.makespan_predicted[i] += b.makespan_predicted[i];
            a.makespan_oracle[i] += b.makespan_oracle[i];
        }
        self.derive();
    }

    fn derive(&mut self) {
        let s = self.sums;
        let ratio = |a: f64, b: f64| if b == 0.0 { 1.0 } else { a / b };
        let gas = s.gas as f64;
        self.parallelism_predicted = ratio(s.predicted, gas);
        self.parallelism_oracle = ratio(s.oracle, gas);
        self.parallelism_ratio = ratio(self.parallelism_predicted, self.parallelism_oracle);
        for i in 0..WORKERS.len() {
            self.speedup_predicted.0[i] = ratio(gas, s.makespan_predicted[i] as f64);
            self.speedup_oracle.0[i] = ratio(gas, s.makespan_oracle[i] as f64);
        }
    }

    fn speedup(&self, workers: usize) -> (f64, f64) {
        let i = WORKERS.iter().position(|k| *k == workers).unwrap_or(0);
        (self.speedup_predicted.0[i], self.speedup_oracle.0[i])
    }
}

/// Columns of the schedule tables: parallelism and the 8- and 16-worker speedups.
fn summary_table(first: &str) -> Table {
    Table::new(&[
        first,
        ">parallelism predicted",
        ">oracle",
        ">ratio",
        ">8 workers predicted",
        ">oracle",
        ">16 workers predicted",
        ">oracle",
    ])
}

fn summary_row(table: &mut Table, name: String, s: &ScheduleSummary) {
    let (p8, o8) = s.speedup(8);
    let (p16, o16) = s.speedup(16);
    table.row(vec![
        name,
        format!("{:.2}", s.parallelism_predicted),
        format!("{:.2}", s.parallelism_oracle),
        format!("{:.2}", s.parallelism_ratio),
        format!("{p8:.2}"),
        format!("{o8:.2}"),
        format!("{p16:.2}"),
        format!("{o16:.2}"),
    ]);
}

/// The schedule tables over blocks and eras.
pub(crate) fn report_tables(report: &Report) -> Vec<(String, Table)> {
    let mut blocks = summary_table("block");
    for block in &report.blocks {
        summary_row(
            &mut blocks,
            format!("{} {}", block.block, block.era),
            &block.summary.schedule,
        );
    }
    let mut out = vec![(
        "schedule: parallelism and simulated speedups on k workers".to_owned(),
        blocks,
    )];
    if report.blocks.len() > 1 {
        let mut eras = summary_table("era");
        for era in &report.eras {
            summary_row(&mut eras, era.era.clone(), &era.summary.schedule);
        }
        summary_row(&mut eras, "all".to_owned(), &report.summary.schedule);
        out.push(("schedule by era".to_owned(), eras));
    }
    out
}

/// One block's schedule and what serialized it.
pub(crate) fn block_tables(report: &ScheduleReport) -> Vec<(String, Table)> {
    let n = report.number;
    let s = &report.schedule;
    let mut numbers = Table::new(&["", ">predicted", ">oracle"]);
    numbers.row(vec![
        "parallelism".into(),
        format!("{:.2}", s.predicted.parallelism),
        format!("{:.2}", s.oracle.parallelism),
    ]);
    numbers.row(vec![
        "batches".into(),
        s.predicted.batches.len().to_string(),
        s.oracle.batches.len().to_string(),
    ]);
    numbers.row(vec![
        "critical path gas".into(),
        thousands(s.predicted.critical_path_gas),
        thousands(s.oracle.critical_path_gas),
    ]);
    numbers.row(vec![
        "dependencies".into(),
        s.predicted.edges.to_string(),
        s.oracle.edges.to_string(),
    ]);
    for k in WORKERS {
        let (p, o) = report.speedups(k);
        numbers.row(vec![
            format!("speedup, {k} workers"),
            format!("{p:.2}"),
            format!("{o:.2}"),
        ]);
    }
    let mut out = vec![(format!("block {n}: schedule"), numbers)];
    out.push((
        format!("block {n}: what serialized it (oracle critical path)"),
        path_table(&report.oracle),
    ));
    if report.predicted.critical_path != report.oracle.critical_path {
        out.push((
            format!("block {n}: lanes' critical path (predicted)"),
            path_table(&report.predicted),
        ));
    }
    let mut contended = Table::new(&["location (oracle)", ">txs", ">dependencies"]);
    for c in &report.oracle.contended {
        contended.row(vec![c.name.clone(), c.txs.to_string(), c.edges.to_string()]);
    }
    out.push((format!("block {n}: most contended locations"), contended));
    let mut classes = Table::new(&["conflict class", ">oracle", ">predicted"]);
    let all: std::collections::BTreeSet<_> = report
        .oracle
        .classes
        .keys()
        .chain(report.predicted.classes.keys())
        .copied()
        .collect();
    for c in all {
        let count = |e: &Explanation| e.classes.get(&c).copied().unwrap_or(0).to_string();
        classes.row(vec![
            class_name(c).to_owned(),
            count(&report.oracle),
            count(&report.predicted),
        ]);
    }
    out.push((
        format!("block {n}: conflicts by class (causes of the graph's dependencies)"),
        classes,
    ));
    let mut misses = Table::new(&["cause", ">accesses", ">txs", ">gas"]);
    for (cause, c) in &report.mispredictions {
        misses.row(vec![
            cause.clone(),
            c.count.to_string(),
            c.txs.to_string(),
            c.gas.to_string(),
        ]);
    }
    out.push((format!("block {n}: mispredictions by cause"), misses));
    let mut batches = Table::new(&[">batch", ">txs", "transactions"]);
    for (i, b) in s.predicted.batches.iter().enumerate().take(SHOWN) {
        let mut ids: Vec<String> = b.iter().take(SHOWN).map(ToString::to_string).collect();
        if b.len() > SHOWN {
            ids.push(format!("+{} more", b.len() - SHOWN));
        }
        batches.row(vec![i.to_string(), b.len().to_string(), ids.join(" ")]);
    }
    if s.predicted.batches.len() > SHOWN {
        batches.row(vec![
            "…".into(),
            String::new(),
            format!("{} more batches", s.predicted.batches.len() - SHOWN),
        ]);
    }
    out.push((format!("block {n}: batches (predicted)"), batches));
    out
}

fn path_table(e: &Explanation) -> Table {
    let mut t = Table::new(&[
        ">tx",
        ">gas",
        "call",
        "depends on the previous step through",
    ]);
    let runs = e.runs();
    for run in runs.iter().take(SHOWN_RUNS) {
        t.row(vec![
            run.label(),
            thousands(run.gas),
            run.call.clone(),
            if run.links.is_empty() {
                "-".to_owned()
            } else {
                run.links.join("; ")
            },
        ]);
    }
    if runs.len() > SHOWN_RUNS {
        let rest: usize = runs[SHOWN_RUNS..].iter().map(|r| r.steps).sum();
        t.row(vec![
            "…".into(),
            String::new(),
            format!("{rest} more steps"),
            String::new(),
        ]);
    }
    t
}
