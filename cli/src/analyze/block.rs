//! One block's analysis run: predictions (timed), plain sequential execution (timed), and a
//! recorded sequential execution that gives every transaction's actual accesses.

use alloy_primitives::U256;
use anyhow::Context as _;
use lanes_analyzer::{AccessPrediction, BlockInput, Limits, analyze_block};
use lanes_scheduler::exec::{
    BlockContext, PreStateDb, execute_prepared, execute_sequential, execute_sequential_with,
};
use lanes_scheduler::{ActualAccess, BlockQuality, Recorder};
use revm::primitives::hardfork::SpecId;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// Everything measured on one block; report sections are computed from it.
#[derive(Debug)]
pub(crate) struct BlockRun {
    /// The block's inputs.
    pub(crate) input: BlockInput,
    /// The spec the block ran under.
    pub(crate) spec: SpecId,
    /// One prediction per transaction.
    pub(crate) predictions: Vec<AccessPrediction>,
    /// One actual access set per transaction.
    pub(crate) actuals: Vec<ActualAccess>,
    /// Mapping keys seen during execution (only when asked for).
    pub(crate) keys: BTreeMap<U256, U256>,
    /// Prediction quality.
    pub(crate) quality: BlockQuality,
    /// Wall time of `analyze_block`.
    pub(crate) analysis_seconds: f64,
    /// Wall time of plain sequential execution from the input, without recording (building
    /// revm's state, code hashed and analysed, included).
    pub(crate) sequential_seconds: f64,
    /// Wall time of the same execution over revm's state already built (the runtime's
    /// baseline).
    pub(crate) execution_seconds: f64,
    /// Wall time of the recorded sequential execution.
    pub(crate) recorded_seconds: f64,
}

impl BlockRun {
    /// Loads, analyses and executes the block in `dir`; `keys` keeps mapping keys for slot
    /// descriptions; the analysis and the plain execution run `repeat` times (at least once)
    /// and the fastest run is kept, which filters out noise from other processes.
    pub(crate) fn run(
        dir: &Path,
        limits: &Limits,
        keys: bool,
        repeat: usize,
    ) -> anyhow::Result<Self> {
        let input = BlockInput::load(dir)?;
        let number = input.number();

        let (analysis_seconds, predictions) =
            fastest(repeat, || Ok(analyze_block(&input, limits)))?;
        let failed = || format!("block {number}: sequential execution");
        let (sequential_seconds, plain) =
            fastest(repeat, || execute_sequential(&input).with_context(failed))?;
        let pre = PreStateDb::new(&input);
        let ctx = BlockContext::new(&input).with_context(failed)?;
        let (execution_seconds, _) =
            fastest(repeat, || execute_prepared(&pre, &ctx).with_context(failed))?;

        let mut actuals = Vec::with_capacity(predictions.len());
        let mut all_keys = BTreeMap::new();
        let start = Instant::now();
        let recorded = execute_sequential_with(
            &input,
            |_| {
                if keys {
                    Recorder::with_keys()
                } else {
                    Recorder::new()
                }
            },
            |_, recorder, outcome| {
                actuals.push(recorder.finish(&outcome.state));
                if let Some(seen) = recorder.keys() {
                    all_keys.extend(seen.iter().map(|(k, v)| (*k, *v)));
                }
            },
        )
        .with_context(|| format!("block {number}: recorded execution"))?;
        let recorded_seconds = start.elapsed().as_secs_f64();
        anyhow::ensure!(
            recorded.receipts == plain.receipts,
            "block {number}: recorded execution differs from plain execution"
        );

        let gas: Vec<u64> = recorded.receipts.iter().map(|r| r.gas_used).collect();
        let quality = BlockQuality::assess(&predictions, &actuals, &gas);
        Ok(Self {
            spec: recorded.spec,
            input,
            predictions,
            actuals,
            keys: all_keys,
            quality,
            analysis_seconds,
            sequential_seconds,
            execution_seconds,
            recorded_seconds,
        })
    }

    /// The block number.
    pub(crate) fn number(&self) -> u64 {
        self.input.number()
    }
}

/// Runs `f` `repeat` times (at least once): the fastest wall time and the last result.
fn fastest<T>(repeat: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(f64, T)> {
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let value = f()?;
        best = best.min(start.elapsed().as_secs_f64());
        result = Some(value);
    }
    Ok((best, result.context("no run")?))
}
