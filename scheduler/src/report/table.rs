//! The plain-text rendering, for a terminal.

use super::{BlockReport, Explanation, SHOWN_RUNS, class_name, thousands};
use crate::simulate::WORKERS;
use std::fmt::Write as _;

/// The schedule section of one block as plain text.
pub fn to_table(report: &BlockReport) -> String {
    let s = &report.schedule;
    let mut out = String::new();
    let _ = writeln!(out, "{:<24}{:>12}{:>12}", "schedule", "predicted", "oracle");
    let rows: [(&str, String, String); 4] = [
        (
            "parallelism",
            format!("{:.2}", s.predicted.parallelism),
            format!("{:.2}", s.oracle.parallelism),
        ),
        (
            "batches",
            s.predicted.batches.len().to_string(),
            s.oracle.batches.len().to_string(),
        ),
        (
            "critical path gas",
            thousands(s.predicted.critical_path_gas),
            thousands(s.oracle.critical_path_gas),
        ),
        (
            "dependencies",
            s.predicted.edges.to_string(),
            s.oracle.edges.to_string(),
        ),
    ];
    for (name, p, o) in rows {
        let _ = writeln!(out, "{name:<24}{p:>12}{o:>12}");
    }
    for k in WORKERS {
        let (p, o) = report.speedups(k);
        let _ = writeln!(
            out,
            "{:<24}{:>12}{:>12}",
            format!("speedup on {k} workers"),
            format!("{p:.2}"),
            format!("{o:.2}")
        );
    }
    let _ = writeln!(out, "parallelism ratio {:.2}", s.parallelism_ratio);
    explanation(&mut out, "oracle", &report.oracle);
    if report.predicted.critical_path != report.oracle.critical_path {
        explanation(&mut out, "predicted", &report.predicted);
    }
    if !report.mispredictions.is_empty() {
        let _ = writeln!(out, "mispredictions by cause:");
        for (cause, c) in &report.mispredictions {
            let _ = writeln!(out, "  {cause}: {} in {} txs", c.count, c.txs);
        }
    }
    out
}

fn explanation(out: &mut String, which: &str, e: &Explanation) {
    let _ = writeln!(out, "critical path ({which}):");
    let runs = e.runs();
    for run in runs.iter().take(SHOWN_RUNS) {
        for link in &run.links {
            let _ = writeln!(out, "    <- {link}");
        }
        let _ = writeln!(
            out,
            "  tx {:>4}  {:>12} gas  {}",
            run.label(),
            thousands(run.gas),
            run.call
        );
    }
    if runs.len() > SHOWN_RUNS {
        let rest: usize = runs[SHOWN_RUNS..].iter().map(|r| r.steps).sum();
        let _ = writeln!(out, "  ... {rest} more steps");
    }
    if !e.contended.is_empty() {
        let _ = writeln!(out, "most contended ({which}):");
        for c in &e.contended {
            let _ = writeln!(out, "  {:>5} txs {:>5} deps  {}", c.txs, c.edges, c.name);
        }
    }
    if !e.classes.is_empty() {
        let classes: Vec<String> = e
            .classes
            .iter()
            .map(|(c, n)| format!("{} {n}", class_name(*c)))
            .collect();
        let _ = writeln!(out, "conflicts by class ({which}): {}", classes.join(", "));
    }
}
