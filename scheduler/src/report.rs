//! Schedule reports: what a block's conflict graphs say (batches, critical path, simulated
//! scaling, predicted vs oracle) and *why* — the chain of transactions that serialized it with
//! the locations linking each step, the most contended locations, conflicts by class and
//! mispredictions by cause. Rendered as a table, Markdown, DOT and an SVG chart; the data
//! itself serializes to JSON.

mod dot;
mod markdown;
mod names;
mod svg;
mod table;
#[cfg(test)]
mod tests;

pub use dot::to_dot;
pub use markdown::to_markdown;
pub use names::{Names, TxInfo, short_address, short_word};
pub use svg::to_svg;
pub use table::to_table;

use crate::graph::{ConflictClass, Target};
use crate::plan::{Plan, PlanError, parallelism_ratio, plan};
use crate::quality::{BlockQuality, CauseCount, Causes};
use crate::record::ActualAccess;
use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, U256};
use lanes_analyzer::{AccessPrediction, BlockInput, PreState, SlotOrigins};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many contended locations a report lists.
const CONTENDED: usize = 10;
/// How many causes a step of the critical path lists.
const LINKS: usize = 3;

/// What a report is built from: one block's predictions, actual accesses and gas.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    /// The block number.
    pub number: u64,
    /// The block's beneficiary.
    pub beneficiary: Address,
    /// Per transaction: sender, recipient, selector.
    pub txs: &'a [TxInfo],
    /// Per transaction: the prediction.
    pub predictions: &'a [AccessPrediction],
    /// Per transaction: what it really accessed.
    pub actuals: &'a [ActualAccess],
    /// Per transaction: gas used (or measured time).
    pub gas: &'a [u64],
    /// Mapping keys seen during execution, by slot, for naming slots.
    pub keys: &'a BTreeMap<U256, U256>,
    /// Prediction quality, for mispredictions by cause.
    pub quality: Option<&'a BlockQuality>,
    /// The pre-block state, to recognise known contracts by their code.
    pub prestate: Option<&'a PreState>,
}

impl TxInfo {
    /// The transactions of a loaded block.
    pub fn of_block(input: &BlockInput) -> Vec<Self> {
        input
            .transactions()
            .iter()
            .map(|tx| {
                let data = tx.input();
                Self {
                    from: tx.inner.signer(),
                    to: tx.to(),
                    selector: data.get(..4).map(|s| [s[0], s[1], s[2], s[3]]),
                    plain: data.is_empty(),
                }
            })
            .collect()
    }
}

/// One graph's schedule: the numbers a builder or a reader needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GraphSummary {
    /// Conflict-free batches, in order.
    pub batches: Vec<Vec<usize>>,
    /// The heaviest dependent chain.
    pub critical_path: Vec<usize>,
    /// Its gas.
    pub critical_path_gas: u64,
    /// For each transaction, the earlier transactions it directly depends on.
    pub dependencies: Vec<Vec<usize>>,
    /// Simulated makespan (gas) by number of workers.
    pub simulated: BTreeMap<usize, u64>,
    /// Total gas / critical-path gas.
    pub parallelism: f64,
    /// Number of edges of the graph.
    pub edges: usize,
}

impl GraphSummary {
    fn of(plan: &Plan) -> Self {
        Self {
            batches: plan.batches.batches.clone(),
            critical_path: plan.critical_path.txs.clone(),
            critical_path_gas: plan.critical_path.cost,
            dependencies: plan.dependencies(),
            simulated: plan.simulated.clone(),
            parallelism: plan.parallelism,
            edges: plan.graph.graph.edge_count(),
        }
    }
}

/// A block's `"schedule"`: the predicted graph's schedule, the oracle's, and their ratio.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BlockSchedule {
    /// From the predictions: what lanes would schedule.
    #[serde(flatten)]
    pub predicted: GraphSummary,
    /// From the actual access sets: the best any scheduler could do.
    pub oracle: GraphSummary,
    /// Predicted parallelism / oracle parallelism.
    pub parallelism_ratio: f64,
}

/// One step of a critical path: a transaction and what links it to the step before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The transaction.
    pub tx: usize,
    /// Its gas.
    pub gas: u64,
    /// What it does.
    pub call: String,
    /// How it depends on the previous step: `"write-read: USDC balanceOf[0xab..]"`.
    pub links: Vec<String>,
}

/// Consecutive critical-path steps that make the same call and depend on the step before in
/// the same way, shown as one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepRun {
    /// The first transaction of the run.
    pub first: usize,
    /// The last transaction of the run.
    pub last: usize,
    /// Number of steps.
    pub steps: usize,
    /// Their gas.
    pub gas: u64,
    /// What each does.
    pub call: String,
    /// How each depends on the step before.
    pub links: Vec<String>,
}

impl StepRun {
    /// `"7"` for one step, `"11…14 (4 txs)"` for several.
    pub fn label(&self) -> String {
        if self.steps == 1 {
            self.first.to_string()
        } else {
            format!("{}…{} ({} txs)", self.first, self.last, self.steps)
        }
    }
}

/// Runs shown before the rest of a long critical path is summarised.
pub const SHOWN_RUNS: usize = 40;

/// A location that links many transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contended {
    /// Its readable name.
    pub name: String,
    /// Transactions at either end of a dependency it causes.
    pub txs: usize,
    /// Dependencies (edges) it causes.
    pub edges: usize,
}

/// Why the graph looks as it does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The critical path, step by step.
    pub critical_path: Vec<Step>,
    /// The locations causing the most dependencies, most first.
    pub contended: Vec<Contended>,
    /// Causes of dependencies by conflict class.
    pub classes: BTreeMap<ConflictClass, usize>,
}

/// Which of a block's two graphs to draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GraphKind {
    /// From the predictions: lanes' schedule.
    #[default]
    Predicted,
    /// From the actual access sets.
    Oracle,
}

impl Explanation {
    /// The critical path with consecutive identical steps merged.
    pub fn runs(&self) -> Vec<StepRun> {
        let mut runs: Vec<StepRun> = Vec::new();
        for step in &self.critical_path {
            if let Some(run) = runs.last_mut()
                && run.call == step.call
                && run.links == step.links
            {
                run.last = step.tx;
                run.steps += 1;
                run.gas += step.gas;
                continue;
            }
            runs.push(StepRun {
                first: step.tx,
                last: step.tx,
                steps: 1,
                gas: step.gas,
                call: step.call.clone(),
                links: step.links.clone(),
            });
        }
        runs
    }
}

/// Everything a schedule report shows for one block.
#[derive(Clone, Debug, Serialize)]
pub struct BlockReport {
    /// The block number.
    pub number: u64,
    /// Number of transactions.
    pub txs: usize,
    /// Gas used by the block.
    pub gas: u64,
    /// The schedule numbers.
    pub schedule: BlockSchedule,
    /// What serialized the block, from the actual accesses.
    pub oracle: Explanation,
    /// What serializes lanes' schedule, from the predictions.
    pub predicted: Explanation,
    /// Missed accesses by cause (from the prediction quality), ranked.
    pub mispredictions: Vec<(String, CauseCount)>,
    /// The predicted plan (for DOT and SVG).
    #[serde(skip)]
    pub predicted_plan: Plan,
    /// The oracle plan.
    #[serde(skip)]
    pub oracle_plan: Plan,
    /// The transactions' descriptions and contracts (for DOT and SVG).
    #[serde(skip)]
    pub calls: Vec<(String, Option<Address>)>,
    /// The namer the report used.
    #[serde(skip)]
    pub names: Names,
}

impl BlockReport {
    /// Plans both graphs of a block and explains them.
    pub fn new(input: &ReportInput<'_>) -> Result<Self, PlanError> {
        let n = input.gas.len();
        for len in [
            input.predictions.len(),
            input.actuals.len(),
            input.txs.len(),
        ] {
            if len != n {
                return Err(PlanError::CostCount { txs: len, costs: n });
            }
        }
        let predicted_plan = plan(input.predictions, input.gas)?;
        let oracle_plan = plan(input.actuals, input.gas)?;
        let mut origins = SlotOrigins::default();
        for a in input.actuals {
            origins.extend(&a.origins);
        }
        for p in input.predictions {
            origins.extend(&p.origins);
        }
        let names = Names::new(origins, input.keys.clone(), input.beneficiary).with_code(
            input
                .prestate
                .iter()
                .flat_map(|p| p.accounts.iter().map(|(a, acc)| (*a, &acc.code[..]))),
        );
        let calls: Vec<(String, Option<Address>)> =
            input.txs.iter().map(|t| (names.call(t), t.to)).collect();
        let mispredictions = input.quality.map_or_else(Vec::new, |q| {
            Causes::ranked(&q.causes.misses)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect()
        });
        Ok(Self {
            number: input.number,
            txs: n,
            gas: predicted_plan.total_cost,
            schedule: BlockSchedule {
                predicted: GraphSummary::of(&predicted_plan),
                oracle: GraphSummary::of(&oracle_plan),
                parallelism_ratio: parallelism_ratio(&predicted_plan, &oracle_plan),
            },
            oracle: explain(&oracle_plan, &names, &calls),
            predicted: explain(&predicted_plan, &names, &calls),
            mispredictions,
            predicted_plan,
            oracle_plan,
            calls,
            names,
        })
    }
}

fn explain(plan: &Plan, names: &Names, calls: &[(String, Option<Address>)]) -> Explanation {
    let mut critical_path = Vec::new();
    let mut previous: Option<usize> = None;
    for &tx in &plan.critical_path.txs {
        let links = previous
            .and_then(|p| plan.graph.dependency(p, tx))
            .map(|d| {
                let mut seen = BTreeSet::new();
                let all: Vec<String> = d
                    .causes
                    .iter()
                    .map(|c| format!("{}: {}", class_name(c.class()), names.target(&c.location())))
                    .filter(|s| seen.insert(s.clone()))
                    .collect();
                let mut shown: Vec<String> = all.iter().take(LINKS).cloned().collect();
                if all.len() > LINKS {
                    shown.push(format!("and {} more", all.len() - LINKS));
                }
                shown
            })
            .unwrap_or_default();
        critical_path.push(Step {
            tx,
            gas: plan.cost[tx],
            call: calls[tx].0.clone(),
            links,
        });
        previous = Some(tx);
    }
    let mut by_target: BTreeMap<Target, (BTreeSet<usize>, usize)> = BTreeMap::new();
    let mut classes: BTreeMap<ConflictClass, usize> = BTreeMap::new();
    for (i, j, d) in plan.graph.edges() {
        let mut targets = BTreeSet::new();
        for c in &d.causes {
            *classes.entry(c.class()).or_default() += 1;
            targets.insert(c.location());
        }
        for t in targets {
            let e = by_target.entry(t).or_default();
            e.0.insert(i);
            e.0.insert(j);
            e.1 += 1;
        }
    }
    let mut contended: Vec<(Target, usize, usize)> = by_target
        .into_iter()
        .map(|(t, (txs, edges))| (t, txs.len(), edges))
        .collect();
    contended.sort_by(|a, b| (b.1, b.2, a.0).cmp(&(a.1, a.2, b.0)));
    Explanation {
        critical_path,
        contended: contended
            .into_iter()
            .take(CONTENDED)
            .map(|(t, txs, edges)| Contended {
                name: names.target(&t),
                txs,
                edges,
            })
            .collect(),
        classes,
    }
}

/// The class as reports print it.
pub const fn class_name(class: ConflictClass) -> &'static str {
    match class {
        ConflictClass::WriteRead => "write-read",
        ConflictClass::ReadWrite => "read-write",
        ConflictClass::WriteWrite => "write-write",
        ConflictClass::Increment => "increment",
        ConflictClass::Widened => "widened",
    }
}

/// Parallelism over many blocks, weighted by each block's gas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ParallelismSummary {
    /// Σ gas × predicted parallelism / Σ gas.
    pub parallelism_predicted: f64,
    /// Σ gas × oracle parallelism / Σ gas.
    pub parallelism_oracle: f64,
    /// `parallelism_predicted / parallelism_oracle`.
    pub parallelism_ratio: f64,
}

impl ParallelismSummary {
    /// The gas-weighted summary of `blocks`.
    pub fn of<'a>(blocks: impl IntoIterator<Item = &'a BlockReport>) -> Self {
        let (mut gas, mut predicted, mut oracle) = (0f64, 0f64, 0f64);
        for b in blocks {
            let g = b.gas as f64;
            gas += g;
            predicted += g * b.schedule.predicted.parallelism;
            oracle += g * b.schedule.oracle.parallelism;
        }
        if gas == 0.0 {
            return Self {
                parallelism_predicted: 1.0,
                parallelism_oracle: 1.0,
                parallelism_ratio: 1.0,
            };
        }
        let (p, o) = (predicted / gas, oracle / gas);
        Self {
            parallelism_predicted: p,
            parallelism_oracle: o,
            parallelism_ratio: if o == 0.0 { 1.0 } else { p / o },
        }
    }
}

impl BlockReport {
    /// The plan and explanation of one graph.
    pub fn graph(&self, kind: GraphKind) -> (&Plan, &Explanation) {
        match kind {
            GraphKind::Predicted => (&self.predicted_plan, &self.predicted),
            GraphKind::Oracle => (&self.oracle_plan, &self.oracle),
        }
    }

    /// Simulated speedup on `workers` workers, predicted and oracle.
    pub fn speedups(&self, workers: usize) -> (f64, f64) {
        (
            self.predicted_plan.speedup(workers),
            self.oracle_plan.speedup(workers),
        )
    }
}

/// `12,345,678`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
