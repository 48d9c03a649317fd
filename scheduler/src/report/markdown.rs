//! The Markdown rendering: what snapshots and pull requests show.

use super::{BlockReport, Explanation, SHOWN_RUNS, class_name, thousands};
use crate::simulate::WORKERS;
use std::fmt::Write as _;

/// The schedule section of one block as Markdown (headings start at level 3).
pub fn to_markdown(report: &BlockReport) -> String {
    let s = &report.schedule;
    let mut out = String::new();
    let _ = writeln!(out, "### Schedule\n");
    let _ = writeln!(out, "| | predicted | oracle |\n|---|---:|---:|");
    let _ = writeln!(
        out,
        "| parallelism | {:.2} | {:.2} |",
        s.predicted.parallelism, s.oracle.parallelism
    );
    let _ = writeln!(
        out,
        "| batches | {} | {} |",
        s.predicted.batches.len(),
        s.oracle.batches.len()
    );
    let _ = writeln!(
        out,
        "| critical path gas | {} | {} |",
        thousands(s.predicted.critical_path_gas),
        thousands(s.oracle.critical_path_gas)
    );
    let _ = writeln!(
        out,
        "| dependencies | {} | {} |",
        s.predicted.edges, s.oracle.edges
    );
    for k in WORKERS {
        let (p, o) = report.speedups(k);
        let _ = writeln!(
            out,
            "| speedup, {k} workers (simulated) | {p:.2} | {o:.2} |"
        );
    }
    let _ = writeln!(
        out,
        "\nParallelism ratio (predicted / oracle): {:.2}\n",
        s.parallelism_ratio
    );
    let _ = writeln!(
        out,
        "Batches (predicted): {}\n",
        batches(&s.predicted.batches)
    );
    explanation(
        &mut out,
        "What serialized this block (oracle)",
        &report.oracle,
    );
    if report.predicted.critical_path != report.oracle.critical_path {
        explanation(
            &mut out,
            "What serializes lanes' schedule (predicted)",
            &report.predicted,
        );
    }
    if !report.mispredictions.is_empty() {
        let _ = writeln!(out, "#### Mispredictions by cause\n");
        let _ = writeln!(
            out,
            "| cause | accesses | txs | gas |\n|---|---:|---:|---:|"
        );
        for (cause, c) in &report.mispredictions {
            let _ = writeln!(
                out,
                "| {cause} | {} | {} | {} |",
                c.count,
                c.txs,
                thousands(c.gas)
            );
        }
        out.push('\n');
    }
    out
}

/// `[0 1 2] [3] [4 5]`, eliding the middle of long lists.
fn batches(batches: &[Vec<usize>]) -> String {
    const SHOWN: usize = 12;
    let one = |b: &Vec<usize>| {
        let mut ids: Vec<String> = b.iter().take(SHOWN).map(ToString::to_string).collect();
        if b.len() > SHOWN {
            ids.push(format!("+{}", b.len() - SHOWN));
        }
        format!("[{}]", ids.join(" "))
    };
    let mut parts: Vec<String> = batches.iter().take(SHOWN).map(one).collect();
    if batches.len() > SHOWN {
        parts.push(format!("... {} more", batches.len() - SHOWN));
    }
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(" ")
    }
}

fn explanation(out: &mut String, title: &str, e: &Explanation) {
    let _ = writeln!(out, "#### {title}\n");
    if e.critical_path.is_empty() {
        let _ = writeln!(out, "No transactions.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| tx | gas | call | depends on the previous step through |\n|---:|---:|---|---|"
    );
    let runs = e.runs();
    for run in runs.iter().take(SHOWN_RUNS) {
        let links = if run.links.is_empty() {
            "—".to_owned()
        } else {
            run.links.join("<br>")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            run.label(),
            thousands(run.gas),
            escape(&run.call),
            escape(&links)
        );
    }
    if runs.len() > SHOWN_RUNS {
        let rest: usize = runs[SHOWN_RUNS..].iter().map(|r| r.steps).sum();
        let _ = writeln!(out, "| … | | {rest} more steps | |");
    }
    out.push('\n');
    if !e.contended.is_empty() {
        let _ = writeln!(
            out,
            "Most contended locations:\n\n| location | txs | dependencies |\n|---|---:|---:|"
        );
        for c in &e.contended {
            let _ = writeln!(out, "| {} | {} | {} |", escape(&c.name), c.txs, c.edges);
        }
        out.push('\n');
    }
    if !e.classes.is_empty() {
        let classes: Vec<String> = e
            .classes
            .iter()
            .map(|(c, n)| format!("{} {n}", class_name(*c)))
            .collect();
        let _ = writeln!(out, "Conflicts by class: {}\n", classes.join(", "));
    }
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('*', "\\*")
}
