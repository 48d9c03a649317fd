//! Timing one block: sequential execution, analysis (prediction and plan) and, once the parallel
//! runtime exists, parallel execution — interleaved in one process after a warm-up, medians
//! over the runs.

use anyhow::Context;
use lanes_analyzer::{BlockInput, Limits, analyze_block};
use lanes_scheduler::exec::{check_header, execute_sequential};
use lanes_scheduler::plan;
use serde::Serialize;
use std::time::Instant;

/// Why no parallel time is reported.
pub(super) const NO_RUNTIME: &str = "the parallel runtime is not in this build of lanes yet: \
     sequential execution and analysis are measured, parallel time and speedup are not";

/// How to measure.
#[derive(Clone, Copy, Debug)]
pub(super) struct Protocol {
    /// Threads of the parallel side.
    pub(super) threads: usize,
    /// Measured runs (the medians are over these).
    pub(super) runs: usize,
    /// Unmeasured runs before them.
    pub(super) warmup: usize,
}

/// What one block measured.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Measurement {
    /// Transactions.
    pub(super) txs: usize,
    /// Gas used by the block.
    pub(super) gas: u64,
    /// Median sequential execution time (plain revm over the in-memory pre-state).
    pub(super) sequential_ms: f64,
    /// Median parallel execution time; `None` without a parallel runtime.
    pub(super) parallel_ms: Option<f64>,
    /// Median time of `analyze_block` plus `plan` (not part of either execution time).
    pub(super) analysis_ms: f64,
    /// `sequential_ms / parallel_ms`.
    pub(super) speedup: Option<f64>,
    /// Whether every parallel run's receipts and post-state equal the sequential ones.
    pub(super) identical: Option<bool>,
    /// Whether the sequential result matches the header (receipts root, bloom, gas used).
    pub(super) header_ok: bool,
    /// Threads of the parallel side.
    pub(super) threads: usize,
    /// Measured runs.
    pub(super) runs: usize,
    /// Why a field is missing, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) note: Option<&'static str>,
}

/// Measures `input` under `protocol`.
pub(super) fn measure(input: &BlockInput, protocol: Protocol) -> anyhow::Result<Measurement> {
    let reference = execute_sequential(input).with_context(|| format!("executing {input}"))?;
    let header_ok = check_header(input, &reference).ok();
    let gas: Vec<u64> = reference.receipts.iter().map(|r| r.gas_used).collect();
    for _ in 0..protocol.warmup {
        sequential(input)?;
        analysis(input, &gas)?;
    }
    let mut sequential_ms = Vec::with_capacity(protocol.runs);
    let mut analysis_ms = Vec::with_capacity(protocol.runs);
    for _ in 0..protocol.runs.max(1) {
        sequential_ms.push(sequential(input)?);
        analysis_ms.push(analysis(input, &gas)?);
    }
    Ok(Measurement {
        txs: input.transactions().len(),
        gas: reference.gas_used,
        sequential_ms: median(&mut sequential_ms),
        parallel_ms: None,
        analysis_ms: median(&mut analysis_ms),
        speedup: None,
        identical: None,
        header_ok,
        threads: protocol.threads,
        runs: protocol.runs.max(1),
        note: Some(NO_RUNTIME),
    })
}

fn sequential(input: &BlockInput) -> anyhow::Result<f64> {
    let start = Instant::now();
    let outcome = execute_sequential(input).with_context(|| format!("executing {input}"))?;
    let elapsed = ms(start);
    std::hint::black_box(outcome);
    Ok(elapsed)
}

/// Predicts every transaction's accesses and plans the block, as the parallel side must.
fn analysis(input: &BlockInput, gas: &[u64]) -> anyhow::Result<f64> {
    let start = Instant::now();
    let predictions = analyze_block(input, &Limits::default());
    let planned = plan(&predictions, gas).with_context(|| format!("planning {input}"))?;
    let elapsed = ms(start);
    std::hint::black_box(planned);
    Ok(elapsed)
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// The median (the mean of the middle two for an even count); 0 for none.
pub(super) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        f64::midpoint(values[mid - 1], values[mid])
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    #[expect(clippy::float_cmp, reason = "halves of small integers are exact")]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }
}
