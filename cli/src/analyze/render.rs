//! Rendering a [`Report`] as text, Markdown or JSON.

use super::Format;
use super::report::{Report, Summary};
use super::table::Table;
use super::txs::TxRow;
use lanes_scheduler::quality::{CauseCount, Causes};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Titled tables in the chosen text format.
pub(crate) fn sections(format: Format, sections: &[(String, Table)]) -> String {
    let mut out = String::new();
    for (title, table) in sections {
        match format {
            Format::Markdown => {
                let _ = writeln!(out, "### {title}\n");
                if table.is_empty() {
                    out.push_str("(none)\n\n");
                } else {
                    out.push_str(&table.markdown());
                    out.push('\n');
                }
            }
            Format::Table | Format::Json | Format::Dot | Format::Svg => {
                let _ = writeln!(out, "{title}");
                if table.is_empty() {
                    out.push_str("  (none)\n\n");
                } else {
                    out.push_str(&table.text());
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The report's tables: per-block transactions, per-block and per-era summaries, the
/// aggregate and the causes.
pub(crate) fn report_tables(report: &Report) -> Vec<(String, Table)> {
    let mut out = Vec::new();
    for block in &report.blocks {
        if let Some(rows) = &block.transactions {
            out.push((
                format!("block {} ({}, {} txs)", block.block, block.era, rows.len()),
                TxRow::table(rows),
            ));
            if let Some(explained) = &block.explained {
                out.extend(super::schedule::block_tables(explained));
            }
        }
    }
    let mut blocks = summary_table("block");
    for block in &report.blocks {
        summary_row(
            &mut blocks,
            format!("{} {}", block.block, block.era),
            &block.summary,
        );
    }
    out.push(("blocks".to_owned(), blocks));
    if report.blocks.len() > 1 {
        let mut eras = summary_table("era");
        for era in &report.eras {
            summary_row(&mut eras, era.era.clone(), &era.summary);
        }
        summary_row(&mut eras, "all".to_owned(), &report.summary);
        out.push(("eras".to_owned(), eras));
    }
    out.extend(super::schedule::report_tables(report));
    if let Some(causes) = &report.causes {
        out.extend(cause_tables(causes));
    }
    out
}

fn summary_table(first: &str) -> Table {
    Table::new(&[
        first,
        ">txs",
        ">gas",
        ">coverage",
        ">by gas",
        ">precision",
        ">widened",
        ">analysis s",
        ">sequential s",
        ">cost",
        ">execution s",
        ">vs execution",
    ])
}

fn summary_row(table: &mut Table, name: String, s: &Summary) {
    table.row(vec![
        name,
        s.txs.to_string(),
        s.gas.to_string(),
        percent(s.coverage_by_count),
        percent(s.coverage_by_gas),
        percent(s.exact_precision),
        percent(s.widened_fraction),
        format!("{:.4}", s.analysis_seconds),
        format!("{:.4}", s.sequential_seconds),
        format!("{:.2}", s.analysis_cost),
        format!("{:.4}", s.execution_seconds),
        format!("{:.2}", s.analysis_vs_execution),
    ]);
}

fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

/// Widenings and misses by cause, largest gas first.
pub(crate) fn cause_tables(causes: &Causes) -> Vec<(String, Table)> {
    let table = |map: &BTreeMap<String, CauseCount>, what: &str| {
        let mut table = Table::new(&["cause", &format!(">{what}"), ">txs", ">gas"]);
        for (cause, count) in Causes::ranked(map) {
            table.row(vec![
                cause.to_owned(),
                count.count.to_string(),
                count.txs.to_string(),
                count.gas.to_string(),
            ]);
        }
        table
    };
    vec![
        (
            "widenings by cause".to_owned(),
            table(&causes.widenings, "widenings"),
        ),
        (
            "misses by cause".to_owned(),
            table(&causes.misses, "accesses"),
        ),
    ]
}
